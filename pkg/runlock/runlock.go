// Package runlock keeps two rollout runs of one project from applying at
// the same time. The lock is an S3 object next to the project's states,
// created with a conditional write (If-None-Match: *), so of two runs that
// try at once exactly one wins. It is released when the run ends; a lock
// left by a killed run is released only by an explicit command.
package runlock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ObjectName is the lock's name within the project's key prefix.
const ObjectName = ".rollout-run.lock"

// API is the part of the S3 client the lock uses.
type API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

// Holder identifies the run that has the lock, for the message another run prints.
type Holder struct {
	RunID   string    `json:"run_id"`
	Who     string    `json:"who"`
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func (h Holder) String() string {
	return fmt.Sprintf("run %s by %s (pid %d, %q) since %s", h.RunID, h.Who, h.PID, h.Command, h.Since.Format(time.RFC3339))
}

// NewHolder describes the current process as a lock holder.
func NewHolder(runID, command string) Holder {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if host, err := os.Hostname(); err == nil {
		who += "@" + host
	}
	return Holder{RunID: runID, Who: who, PID: os.Getpid(), Command: command, Since: time.Now().UTC().Truncate(time.Second)}
}

// HeldError is returned when another run holds the lock.
type HeldError struct {
	Holder Holder
	Bucket string
	Key    string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("another rollout run holds the project lock s3://%s/%s: %s; wait for it to finish, or if it is gone, release the lock with: rollout unlock",
		e.Bucket, e.Key, e.Holder)
}

// Lock is a held run lock.
type Lock struct {
	api    API
	bucket string
	key    string
	holder Holder
}

// Acquire takes the lock at bucket/key for holder, or returns a
// *HeldError naming the run that has it.
func Acquire(ctx context.Context, api API, bucket, key string, holder Holder) (*Lock, error) {
	body, err := json.Marshal(holder)
	if err != nil {
		return nil, err
	}
	_, err = api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(body),
		IfNoneMatch: aws.String("*"),
		ContentType: aws.String("application/json"),
	})
	if err == nil {
		return &Lock{api: api, bucket: bucket, key: key, holder: holder}, nil
	}
	if !isStatus(err, "PreconditionFailed", "ConditionalRequestConflict") {
		return nil, fmt.Errorf("take project lock s3://%s/%s: %w", bucket, key, err)
	}
	other, readErr := read(ctx, api, bucket, key)
	if readErr != nil {
		// The holder may have released it in between; the caller can retry.
		return nil, fmt.Errorf("project lock s3://%s/%s is held, and reading its holder failed: %w", bucket, key, readErr)
	}
	return nil, &HeldError{Holder: other, Bucket: bucket, Key: key}
}

// Release deletes the lock if this run still holds it.
// NOTE: the check and the delete are two requests, so a forced release and
// a new lock taken between them would be deleted too.
func (l *Lock) Release(ctx context.Context) error {
	current, err := read(ctx, l.api, l.bucket, l.key)
	if err != nil {
		return fmt.Errorf("release project lock: %w", err)
	}
	if current.RunID != l.holder.RunID {
		return fmt.Errorf("release project lock: it is now held by %s, so it was left in place", current)
	}
	return remove(ctx, l.api, l.bucket, l.key)
}

// ForceRelease deletes the lock, whichever run has it, and returns the
// holder it removed.
func ForceRelease(ctx context.Context, api API, bucket, key string) (Holder, error) {
	h, err := read(ctx, api, bucket, key)
	if err != nil {
		return Holder{}, err
	}
	return h, remove(ctx, api, bucket, key)
}

// ErrNotHeld is returned by ForceRelease when there is no lock.
var ErrNotHeld = errors.New("the project lock is not held")

func read(ctx context.Context, api API, bucket, key string) (Holder, error) {
	out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isStatus(err, "NoSuchKey", "NotFound") {
			return Holder{}, ErrNotHeld
		}
		return Holder{}, fmt.Errorf("read project lock s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return Holder{}, fmt.Errorf("read project lock s3://%s/%s: %w", bucket, key, err)
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return Holder{}, fmt.Errorf("project lock s3://%s/%s is not a rollout lock: %w", bucket, key, err)
	}
	return h, nil
}

func remove(ctx context.Context, api API, bucket, key string) error {
	_, err := api.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("delete project lock s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}

func isStatus(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}
