// Package s3blobs stores media bytes in an S3 bucket (AWS S3 or any
// S3-compatible service) with aws-sdk-go-v2.
package s3blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/inklingcms/inkling/engine/apperr"
)

// Config selects the bucket. Credentials come from AccessKey/SecretKey
// when set, otherwise from the AWS default chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, a shared profile, or the instance's role): never
// from a flag or the database.
type Config struct {
	Bucket string
	Region string // default us-east-1
	// Endpoint is the URL of an S3-compatible service; empty means AWS.
	Endpoint string
	// PathStyle addresses the bucket as endpoint/bucket/key (most
	// S3-compatible services) instead of bucket.endpoint/key.
	PathStyle bool
	// Prefix is prepended to every key ("media/"), to share a bucket.
	Prefix               string
	AccessKey, SecretKey string
}

// Bucket stores each key as an object.
type Bucket struct {
	client *s3.Client
	cfg    Config
}

// New returns a store for the bucket. It does not contact the service;
// call Check for that.
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3blobs: a bucket is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3blobs: loading AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// S3-compatible services often send no checksums on reads; the
		// SDK would log that for every GET.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	return &Bucket{client: client, cfg: cfg}, nil
}

// Name describes the store for logs.
func (b *Bucket) Name() string { return "s3:" + b.cfg.Bucket + "/" + b.cfg.Prefix }

// Check verifies that the bucket is reachable with the credentials.
func (b *Bucket) Check(ctx context.Context) error {
	if _, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.cfg.Bucket)}); err != nil {
		return fmt.Errorf("s3blobs: bucket %s: %w", b.cfg.Bucket, err)
	}
	return nil
}

func (b *Bucket) key(key string) string { return b.cfg.Prefix + strings.TrimLeft(key, "/") }

// Put stores data under key with its content type and immutable cache
// headers (keys are content-addressed, so a CDN may cache them forever).
func (b *Bucket) Put(ctx context.Context, key string, data []byte, contentType string) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.key(key)), Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String(contentType),
		CacheControl: aws.String("public, max-age=31536000, immutable"),
	})
	if err != nil {
		return fmt.Errorf("s3blobs: storing %s: %w", key, err)
	}
	return nil
}

// Open reads the object under key; a missing one is apperr.NotFound.
func (b *Bucket) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.key(key))})
	if err != nil {
		if notFound(err) {
			return nil, apperr.New(apperr.NotFound, "media %q not found", key)
		}
		return nil, fmt.Errorf("s3blobs: reading %s: %w", key, err)
	}
	return out.Body, nil
}

// Exists reports whether an object is stored under key.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.key(key))})
	if err == nil {
		return true, nil
	}
	if notFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("s3blobs: checking %s: %w", key, err)
}

func notFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey")
}
