package elevenlabs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Request stitching context sizes (characters).
const (
	// nextTextChars bounds the next_text sent with a chunk: enough for
	// the model to hear where the sentence is going.
	nextTextChars = 1000
	// previousTextChars bounds the previous_text sent when no request id
	// of the previous chunk is known.
	previousTextChars = 1000
	// maxPreviousRequestIDs is the API's limit on previous_request_ids.
	maxPreviousRequestIDs = 3
	// maxRetryWait caps a Retry-After the API asks for.
	maxRetryWait = time.Minute
)

// narrator turns chunks of text into one MP3 file.
type narrator struct {
	client *client
	cfg    config
	log    *slog.Logger
	// sleep waits d or until ctx is done.
	sleep func(ctx context.Context, d time.Duration) error
}

// narrate generates the chunks in order, each stitched to the ones before
// (previous_request_ids, or previous_text) and after it (next_text) so
// that the prosody flows across them, and concatenates the MP3 audio. A
// rate limit or server error is retried with backoff (see retry); any
// other failure ends the narration.
func (n *narrator) narrate(ctx context.Context, chunks []string) ([]byte, error) {
	var audio []byte
	var ids []string
	for i, chunk := range chunks {
		req := ttsRequest{Text: chunk, ModelID: n.cfg.modelID, VoiceSettings: n.cfg.voiceSettingsOrNil()}
		if n.cfg.stitching() {
			if i+1 < len(chunks) {
				req.NextText = contextHead(chunks[i+1], nextTextChars)
			}
			switch {
			case len(ids) > 0:
				req.PreviousRequestIDs = ids[max(0, len(ids)-maxPreviousRequestIDs):]
			case i > 0:
				req.PreviousText = contextTail(chunks[i-1], previousTextChars)
			}
		}
		sp, err := n.retry(ctx, fmt.Sprintf("chunk %d of %d", i+1, len(chunks)), func() (*speech, error) {
			return n.client.convert(ctx, n.cfg.voiceID, n.cfg.outputFormat, req)
		})
		if err != nil {
			return nil, fmt.Errorf("chunk %d of %d: %w", i+1, len(chunks), err)
		}
		if i > 0 {
			sp.Audio = stripID3v2(sp.Audio)
		}
		audio = append(audio, sp.Audio...)
		if sp.RequestID == "" {
			ids = nil // the next chunk falls back to previous_text
		} else {
			ids = append(ids, sp.RequestID)
		}
	}
	return audio, nil
}

// retry calls fn until it succeeds, fails for good, or the retries
// (cfg.requestRetries) are used up. Between tries it waits the
// Retry-After the API asked for (at most maxRetryWait), or else the
// backoff: cfg.retryBackoff doubled per retry, with jitter. It gives up
// early when the wait would pass ctx's deadline, so that the job fails in
// time and the host retries it later.
func (n *narrator) retry(ctx context.Context, what string, fn func() (*speech, error)) (*speech, error) {
	for attempt := 0; ; attempt++ {
		sp, err := fn()
		if err == nil {
			return sp, nil
		}
		if !retryable(ctx, err) {
			return nil, err
		}
		if attempt >= n.cfg.requestRetries {
			return nil, fmt.Errorf("gave up after %d tries: %w", attempt+1, err)
		}
		wait := backoff(n.cfg.retryBackoff, attempt)
		var api *APIError
		if errors.As(err, &api) && api.RetryAfter > 0 {
			wait = min(api.RetryAfter, maxRetryWait)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, fmt.Errorf("giving up after %d tries: the next retry (in %s) would pass the job's deadline: %w",
				attempt+1, wait.Round(time.Millisecond), err)
		}
		n.log.Warn("ElevenLabs request failed, retrying", "request", what, "try", attempt+1, "wait", wait, "error", err)
		if serr := n.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("stopped waiting to retry after %d tries: %w (last error: %w)", attempt+1, serr, err)
		}
	}
}

// backoff is base·2^attempt with ±25% jitter, capped at 64·base.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 6)
	jitter := time.Duration(rand.Int64N(int64(d)/2 + 1))
	return d - d/4 + jitter
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stripID3v2 drops a leading ID3v2 tag, so that the chunks after the
// first do not put tags in the middle of the concatenated stream.
func stripID3v2(b []byte) []byte {
	if len(b) < 10 || string(b[:3]) != "ID3" {
		return b
	}
	// The tag size is a 28-bit "syncsafe" integer (7 bits per byte),
	// excluding the 10-byte header and the optional 10-byte footer.
	sz := binary.BigEndian.Uint32(b[6:10])
	size := int(sz&0x7f | (sz>>8&0x7f)<<7 | (sz>>16&0x7f)<<14 | (sz>>24&0x7f)<<21)
	size += 10
	if b[5]&0x10 != 0 {
		size += 10
	}
	if size > len(b) {
		return b
	}
	return b[size:]
}
