package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/media"
	"github.com/inklingcms/inkling/engine/media/localblobs"
	"github.com/inklingcms/inkling/engine/media/s3blobs"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/urfave/cli/v3"
)

// mediaFlags configure media storage: local disk by default, S3 when a
// bucket is set. S3 credentials come from the environment only
// (INKLING_S3_ACCESS_KEY_ID and INKLING_S3_SECRET_ACCESS_KEY, or the AWS
// default chain: AWS_ACCESS_KEY_ID..., a profile, an instance role).
func mediaFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "media-dir", Usage: "directory of local media (default: <data>/media)", Sources: cli.EnvVars("INKLING_MEDIA_DIR")},
		&cli.StringFlag{Name: "media-base-url", Usage: "public URL prefix of media, e.g. a CDN (https://media.example.org/); default /media/ on this server",
			Sources: cli.EnvVars("INKLING_MEDIA_BASE_URL")},
		&cli.Int64Flag{Name: "media-max-bytes", Value: media.DefaultMaxBytes, Usage: "largest accepted media file", Sources: cli.EnvVars("INKLING_MEDIA_MAX_BYTES")},
		&cli.StringFlag{Name: "media-types", Usage: "accepted content types, comma-separated (default: images, audio, mp4, pdf, text)",
			Sources: cli.EnvVars("INKLING_MEDIA_TYPES")},
		&cli.StringFlag{Name: "media-rendition-sizes", Value: "16,32,48,64,96,128,256,384,640,750,828,1080,1200,1920,2048,3840",
			Usage: "the widths and heights renditions may have, comma-separated, or \"any\"", Sources: cli.EnvVars("INKLING_MEDIA_RENDITION_SIZES")},
		&cli.StringFlag{Name: "s3-bucket", Usage: "store media in this S3 bucket instead of on local disk", Sources: cli.EnvVars("INKLING_S3_BUCKET")},
		&cli.StringFlag{Name: "s3-region", Value: "us-east-1", Sources: cli.EnvVars("INKLING_S3_REGION")},
		&cli.StringFlag{Name: "s3-endpoint", Usage: "URL of an S3-compatible service (empty: AWS)", Sources: cli.EnvVars("INKLING_S3_ENDPOINT")},
		&cli.BoolFlag{Name: "s3-path-style", Usage: "path-style bucket addressing (most S3-compatible services)", Sources: cli.EnvVars("INKLING_S3_PATH_STYLE")},
		&cli.StringFlag{Name: "s3-prefix", Usage: "key prefix inside the bucket, e.g. media/", Sources: cli.EnvVars("INKLING_S3_PREFIX")},
	}
}

// openMedia builds the media service the flags describe.
func openMedia(ctx context.Context, c *cli.Command, db *store.DB, authz *auth.Service, inv media.Invalidator, log *slog.Logger) (*media.Service, error) {
	var blobs media.Blobs
	if bucket := c.String("s3-bucket"); bucket != "" {
		b, err := s3blobs.New(ctx, s3blobs.Config{Bucket: bucket, Region: c.String("s3-region"), Endpoint: c.String("s3-endpoint"),
			PathStyle: c.Bool("s3-path-style"), Prefix: c.String("s3-prefix"),
			AccessKey: os.Getenv("INKLING_S3_ACCESS_KEY_ID"), SecretKey: os.Getenv("INKLING_S3_SECRET_ACCESS_KEY")})
		if err != nil {
			return nil, err
		}
		if err := b.Check(ctx); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
		blobs = b
	} else {
		dir := c.String("media-dir")
		if dir == "" {
			dir = filepath.Join(c.String("data"), "media")
		}
		d, err := localblobs.New(dir)
		if err != nil {
			return nil, err
		}
		blobs = d
	}
	opts := media.Options{PublicBaseURL: c.String("media-base-url"), MaxBytes: c.Int64("media-max-bytes"), Invalidator: inv, Logger: log}
	if v := c.String("media-rendition-sizes"); v != "" && v != "any" {
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > media.MaxRenditionSide {
				return nil, fmt.Errorf("--media-rendition-sizes: %q is not a size from 1 to %d", s, media.MaxRenditionSide)
			}
			opts.RenditionSizes = append(opts.RenditionSizes, n)
		}
	}
	if t := c.String("media-types"); t != "" {
		for _, v := range strings.Split(t, ",") {
			if v = strings.TrimSpace(v); v != "" {
				opts.Types = append(opts.Types, v)
			}
		}
	}
	svc := media.New(db, blobs, authz, opts)
	log.Info("media storage", "store", blobs.Name(), "public_url", svc.BaseURL())
	return svc, nil
}

// pluginMedia serves the plugins' PutMedia and GetEntryMedia.
type pluginMedia struct{ svc *media.Service }

func (p pluginMedia) PutMedia(ctx context.Context, in pluginhost.MediaUpload) (pluginhost.MediaObject, error) {
	up := media.Upload{Filename: in.Filename, ContentType: in.ContentType, Data: in.Data}
	var a *media.Asset
	var err error
	if in.EntryID != "" {
		a, err = p.svc.Attach(ctx, in.Actor, in.EntryID, in.Role, in.SourceHash, up)
	} else {
		a, err = p.svc.Put(ctx, in.Actor, up)
	}
	if err != nil {
		return pluginhost.MediaObject{}, err
	}
	return mediaObject(a), nil
}

func (p pluginMedia) EntryMedia(ctx context.Context, entryID, role string) ([]pluginhost.MediaObject, error) {
	list, err := p.svc.EntryMedia(ctx, entryID, role)
	if err != nil {
		return nil, err
	}
	out := make([]pluginhost.MediaObject, 0, len(list))
	for _, a := range list {
		out = append(out, mediaObject(a))
	}
	return out, nil
}

func (p pluginMedia) BaseURL() string { return p.svc.BaseURL() }

func mediaObject(a *media.Asset) pluginhost.MediaObject {
	return pluginhost.MediaObject{Key: a.Key, URL: a.URL, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
		Width: a.Width, Height: a.Height, EntryID: a.EntryID, Role: a.Role, SourceHash: a.SourceHash}
}
