package elevenlabsfake

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The fake's audio is a stream of valid MPEG audio Layer III frames (a
// real 4-byte frame header each, with the frame length the header
// implies) whose payload carries the synthesised text: the first frame of
// a response starts with magic, the text's length (uint32, big endian) and
// the text, spilling over into further frames; the rest of the last frame
// is filler derived from the text's SHA-256. Players treat it as (noisy)
// MP3; [Texts] reads the texts back, in order, from concatenated
// responses.
var magic = []byte("ELFAKE01")

// format is an MP3 output format: codec_samplerate_bitrate, as the API's
// output_format query parameter names it (mp3_44100_128).
type format struct {
	sampleRate int // Hz
	bitrate    int // kbps
}

func (f format) String() string { return fmt.Sprintf("mp3_%d_%d", f.sampleRate, f.bitrate) }

// MPEG versions in the header's two version bits.
const (
	mpeg1  = 0b11
	mpeg2  = 0b10
	layer3 = 0b01
)

// Bitrate tables (kbps) of Layer III by bitrate index 1..14.
var (
	bitratesV1 = []int{32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}
	bitratesV2 = []int{8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}
)

// Sample rates by sampling index 0..2.
var (
	ratesV1 = []int{44100, 48000, 32000}
	ratesV2 = []int{22050, 24000, 16000}
)

// parseFormat reads output_format; only MP3 formats are implemented.
func parseFormat(s string) (format, error) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 || parts[0] != "mp3" {
		return format{}, fmt.Errorf("output format %q is not implemented by the fake (mp3_<sample rate>_<kbps> only)", s)
	}
	rate, err1 := strconv.Atoi(parts[1])
	kbps, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil {
		return format{}, fmt.Errorf("output format %q: sample rate and bitrate must be numbers", s)
	}
	f := format{sampleRate: rate, bitrate: kbps}
	if _, err := f.header(); err != nil {
		return format{}, err
	}
	return f, nil
}

// header returns the 4-byte frame header (no CRC, no padding, joint
// stereo) of f.
func (f format) header() ([4]byte, error) {
	version, rates, bitrates := mpeg1, ratesV1, bitratesV1
	ri := indexOf(rates, f.sampleRate)
	if ri < 0 {
		version, rates, bitrates = mpeg2, ratesV2, bitratesV2
		ri = indexOf(rates, f.sampleRate)
	}
	if ri < 0 {
		return [4]byte{}, fmt.Errorf("output format %s: unsupported sample rate %d", f, f.sampleRate)
	}
	bi := indexOf(bitrates, f.bitrate)
	if bi < 0 {
		return [4]byte{}, fmt.Errorf("output format %s: unsupported bitrate %d kbps at %d Hz", f, f.bitrate, f.sampleRate)
	}
	var h [4]byte
	h[0] = 0xFF
	h[1] = 0xE0 | byte(version)<<3 | layer3<<1 | 1 // sync, version, layer, no CRC
	h[2] = byte(bi+1)<<4 | byte(ri)<<2             // bitrate, sampling rate, no padding
	h[3] = 0b01 << 6                               // joint stereo
	return h, nil
}

func indexOf(xs []int, x int) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// frameLength is the length in bytes, header included, of the frame whose
// header is h.
func frameLength(h []byte) (int, error) {
	if len(h) < 4 || h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return 0, errors.New("no frame sync")
	}
	version := int(h[1]>>3) & 0b11
	if (h[1]>>1)&0b11 != layer3 {
		return 0, errors.New("not Layer III")
	}
	bi, ri, pad := int(h[2]>>4), int(h[2]>>2)&0b11, int(h[2]>>1)&1
	if bi == 0 || bi == 15 || ri == 3 {
		return 0, errors.New("bad bitrate or sampling index")
	}
	switch version {
	case mpeg1:
		return 144*bitratesV1[bi-1]*1000/ratesV1[ri] + pad, nil
	case mpeg2:
		return 72*bitratesV2[bi-1]*1000/ratesV2[ri] + pad, nil
	}
	return 0, fmt.Errorf("unsupported MPEG version bits %02b", version)
}

// Audio returns the audio the fake answers for text in the output format
// (an MP3 output_format such as "mp3_44100_128"; "" means that default).
// It is deterministic: the same text and format give the same bytes.
func Audio(text, outputFormat string) ([]byte, error) {
	if outputFormat == "" {
		outputFormat = DefaultOutputFormat
	}
	f, err := parseFormat(outputFormat)
	if err != nil {
		return nil, err
	}
	h, _ := f.header()
	size, _ := frameLength(h[:])
	payload := size - len(h)
	data := make([]byte, 0, len(magic)+4+len(text))
	data = append(data, magic...)
	data = binary.BigEndian.AppendUint32(data, uint32(len(text)))
	data = append(data, text...)
	// Fill the last frame, and add at least one frame of "sound" after
	// the text so that even empty text gives audible length.
	frames := (len(data)+payload-1)/payload + 1
	filler := sha256.Sum256([]byte(text))
	for i := 0; len(data) < frames*payload; i++ {
		data = append(data, filler[i%len(filler)]^byte(i))
	}
	out := make([]byte, 0, frames*size)
	for i := range frames {
		out = append(out, h[:]...)
		out = append(out, data[i*payload:(i+1)*payload]...)
	}
	return out, nil
}

// Texts checks that audio is a sequence of whole MP3 frames and returns
// the texts of the fake responses it is made of, in order: for audio
// concatenated from several responses, one text per response.
func Texts(audio []byte) ([]string, error) {
	var payloads [][]byte
	for off := 0; off < len(audio); {
		n, err := frameLength(audio[off:])
		if err != nil {
			return nil, fmt.Errorf("frame at byte %d: %w", off, err)
		}
		if off+n > len(audio) {
			return nil, fmt.Errorf("frame at byte %d: truncated (%d of %d bytes)", off, len(audio)-off, n)
		}
		payloads = append(payloads, audio[off+4:off+n])
		off += n
	}
	var texts []string
	for i := 0; i < len(payloads); {
		if !bytes.HasPrefix(payloads[i], magic) {
			return nil, fmt.Errorf("frame %d: expected the start of a response", i)
		}
		stream := bytes.Join(payloads[i:], nil)
		n := int(binary.BigEndian.Uint32(stream[len(magic):]))
		start := len(magic) + 4
		if start+n > len(stream) {
			return nil, fmt.Errorf("frame %d: text of %d bytes runs past the audio", i, n)
		}
		texts = append(texts, string(stream[start:start+n]))
		// Skip the frames this response used: the text's and the filler
		// frame after it.
		used, size := start+n, len(payloads[i])
		i += (used+size-1)/size + 1
	}
	return texts, nil
}
