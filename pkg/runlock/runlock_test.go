package runlock_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/rollout-dev/rollout/pkg/runlock"
)

// fakeS3 keeps objects in memory and honours If-None-Match: * as S3 does.
// The e2e tests run the same lock against LocalStack.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (f *fakeS3) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, exists := f.objects[*in.Key]; exists && in.IfNoneMatch != nil && *in.IfNoneMatch == "*" {
		return nil, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
	}
	b, _ := io.ReadAll(in.Body)
	f.objects[*in.Key] = b
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[*in.Key]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchKey"}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeS3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, *in.Key)
	return &s3.DeleteObjectOutput{}, nil
}

func TestSecondRunIsRefused(t *testing.T) {
	ctx := context.Background()
	api := &fakeS3{objects: map[string][]byte{}}
	first, err := runlock.Acquire(ctx, api, "b", "p/.rollout-run.lock", runlock.NewHolder("run-1", "rollout apply --all"))
	if err != nil {
		t.Fatalf("first acquire: %v", err)
	}

	_, err = runlock.Acquire(ctx, api, "b", "p/.rollout-run.lock", runlock.NewHolder("run-2", "rollout apply --all"))
	var held *runlock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("second acquire: %v, want a HeldError", err)
	}
	if held.Holder.RunID != "run-1" || !strings.Contains(err.Error(), "rollout unlock") {
		t.Errorf("error %q: want run-1 named and the unlock command", err)
	}

	if err := first.Release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
	if _, err := runlock.Acquire(ctx, api, "b", "p/.rollout-run.lock", runlock.NewHolder("run-3", "x")); err != nil {
		t.Errorf("acquire after release: %v", err)
	}
}

func TestConcurrentAcquireHasOneWinner(t *testing.T) {
	api := &fakeS3{objects: map[string][]byte{}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := runlock.Acquire(context.Background(), api, "b", "k", runlock.NewHolder(string(rune('a'+i)), "x"))
			if err == nil {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Errorf("%d runs took the lock, want 1", winners)
	}
}

func TestReleaseLeavesSomeoneElsesLock(t *testing.T) {
	ctx := context.Background()
	api := &fakeS3{objects: map[string][]byte{}}
	stale, err := runlock.Acquire(ctx, api, "b", "k", runlock.NewHolder("old", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runlock.ForceRelease(ctx, api, "b", "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := runlock.Acquire(ctx, api, "b", "k", runlock.NewHolder("new", "x")); err != nil {
		t.Fatal(err)
	}
	if err := stale.Release(ctx); err == nil {
		t.Error("the old run released the new run's lock")
	}
	if _, ok := api.objects["k"]; !ok {
		t.Error("the new run's lock is gone")
	}
}

func TestForceReleaseWithoutLock(t *testing.T) {
	api := &fakeS3{objects: map[string][]byte{}}
	if _, err := runlock.ForceRelease(context.Background(), api, "b", "k"); !errors.Is(err, runlock.ErrNotHeld) {
		t.Errorf("error %v, want ErrNotHeld", err)
	}
}
