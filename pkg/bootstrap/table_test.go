package bootstrap

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestEnsureLockTableCreates(t *testing.T) {
	fake := newFakeDynamoDB()
	fake.creatingPolls = 3
	b := newTestBootstrapper(nil, fake)

	res, err := b.EnsureLockTable(context.Background(), "locks", "eu-west-1")
	if err != nil {
		t.Fatalf("EnsureLockTable: %v", err)
	}
	if res.Status != Created {
		t.Errorf("status %q, want %q", res.Status, Created)
	}
	if len(fake.creates) != 1 {
		t.Fatalf("%d CreateTable calls, want 1", len(fake.creates))
	}
	in := fake.creates[0]
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("billing mode %q, want PAY_PER_REQUEST", in.BillingMode)
	}
	if len(in.KeySchema) != 1 || aws.ToString(in.KeySchema[0].AttributeName) != "LockID" || in.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("key schema %+v, want LockID HASH", in.KeySchema)
	}
	if len(in.AttributeDefinitions) != 1 || in.AttributeDefinitions[0].AttributeType != types.ScalarAttributeTypeS {
		t.Errorf("attribute definitions %+v, want LockID of type S", in.AttributeDefinitions)
	}
	if got := fake.tables["locks"].TableStatus; got != types.TableStatusActive {
		t.Errorf("returned while the table is %s, want ACTIVE", got)
	}
}

func TestEnsureLockTableExists(t *testing.T) {
	tests := []struct {
		name     string
		mode     types.BillingMode
		wantNote string
	}{
		{name: "on demand", mode: types.BillingModePayPerRequest},
		{name: "provisioned", mode: types.BillingModeProvisioned, wantNote: "billing mode PROVISIONED left as it is"},
		{name: "no billing summary", mode: "", wantNote: "billing mode PROVISIONED left as it is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDynamoDB()
			fake.tables["locks"] = lockTable("locks", tt.mode)
			b := newTestBootstrapper(nil, fake)

			res, err := b.EnsureLockTable(context.Background(), "locks", "us-east-1")
			if err != nil {
				t.Fatalf("EnsureLockTable: %v", err)
			}
			if res.Status != Exists {
				t.Errorf("status %q, want %q", res.Status, Exists)
			}
			if res.Note != tt.wantNote {
				t.Errorf("note %q, want %q", res.Note, tt.wantNote)
			}
			if len(fake.creates) != 0 {
				t.Errorf("%d CreateTable calls, want 0", len(fake.creates))
			}
		})
	}
}

func TestEnsureLockTableWaitsForCreating(t *testing.T) {
	fake := newFakeDynamoDB()
	fake.tables["locks"] = lockTable("locks", types.BillingModePayPerRequest)
	fake.tables["locks"].TableStatus = types.TableStatusCreating
	fake.creatingPolls = 2
	b := newTestBootstrapper(nil, fake)

	res, err := b.EnsureLockTable(context.Background(), "locks", "us-east-1")
	if err != nil {
		t.Fatalf("EnsureLockTable: %v", err)
	}
	if res.Status != Exists {
		t.Errorf("status %q, want %q", res.Status, Exists)
	}
	if got := fake.tables["locks"].TableStatus; got != types.TableStatusActive {
		t.Errorf("returned while the table is %s, want ACTIVE", got)
	}
}

func TestEnsureLockTableCreatedMeanwhile(t *testing.T) {
	// DescribeTable returned not found, then CreateTable found the table, so
	// it counts as existing.
	fake := newFakeDynamoDB()
	b := newTestBootstrapper(nil, &raceDynamoDB{fakeDynamoDB: fake, table: lockTable("locks", types.BillingModePayPerRequest)})

	res, err := b.EnsureLockTable(context.Background(), "locks", "us-east-1")
	if err != nil {
		t.Fatalf("EnsureLockTable: %v", err)
	}
	if res.Status != Exists {
		t.Errorf("status %q, want %q", res.Status, Exists)
	}
	if len(fake.creates) != 1 {
		t.Errorf("%d CreateTable calls, want 1", len(fake.creates))
	}
}

// raceDynamoDB adds table just before CreateTable runs, as if another run
// created it after DescribeTable returned not found.
type raceDynamoDB struct {
	*fakeDynamoDB
	table *types.TableDescription
}

func (r *raceDynamoDB) CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error) {
	r.fakeDynamoDB.mu.Lock()
	r.fakeDynamoDB.tables[aws.ToString(in.TableName)] = r.table
	r.fakeDynamoDB.mu.Unlock()
	return r.fakeDynamoDB.CreateTable(ctx, in, opts...)
}

func TestEnsureLockTableErrors(t *testing.T) {
	tests := []struct {
		name    string
		table   func(*types.TableDescription)
		wantErr []string
	}{
		{
			name: "other key name",
			table: func(td *types.TableDescription) {
				td.KeySchema[0].AttributeName = aws.String("id")
				td.AttributeDefinitions[0].AttributeName = aws.String("id")
			},
			wantErr: []string{"lock table locks has key id (S, HASH)", "LockID", "choose another state.lock_table"},
		},
		{
			name: "number key",
			table: func(td *types.TableDescription) {
				td.AttributeDefinitions[0].AttributeType = types.ScalarAttributeTypeN
			},
			wantErr: []string{"has key LockID (N, HASH)"},
		},
		{
			name: "sort key added",
			table: func(td *types.TableDescription) {
				td.KeySchema = append(td.KeySchema, types.KeySchemaElement{AttributeName: aws.String("at"), KeyType: types.KeyTypeRange})
				td.AttributeDefinitions = append(td.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("at"), AttributeType: types.ScalarAttributeTypeN})
			},
			wantErr: []string{"has key LockID (S, HASH) + at (N, RANGE)"},
		},
		{
			name:    "being deleted",
			table:   func(td *types.TableDescription) { td.TableStatus = types.TableStatusDeleting },
			wantErr: []string{"lock table locks is being deleted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDynamoDB()
			fake.tables["locks"] = lockTable("locks", types.BillingModePayPerRequest)
			tt.table(fake.tables["locks"])
			b := newTestBootstrapper(nil, fake)

			_, err := b.EnsureLockTable(context.Background(), "locks", "us-east-1")
			if err == nil {
				t.Fatal("EnsureLockTable succeeded, want an error")
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if len(fake.creates) != 0 {
				t.Errorf("%d CreateTable calls, want 0", len(fake.creates))
			}
		})
	}
}

func TestEnsureLockTableWaitTimesOut(t *testing.T) {
	fake := newFakeDynamoDB()
	fake.creatingPolls = 1 << 30
	b := newTestBootstrapper(nil, fake)
	b.TableTimeout = 50 * time.Millisecond

	start := time.Now()
	_, err := b.EnsureLockTable(context.Background(), "locks", "us-east-1")
	if err == nil {
		t.Fatal("EnsureLockTable succeeded, want a timeout")
	}
	if !strings.Contains(err.Error(), "wait for lock table locks to become ACTIVE") {
		t.Errorf("error %q does not name the wait", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s, want about the 50ms timeout", elapsed)
	}
}

func TestEnsureLockTableWaitHonoursContext(t *testing.T) {
	fake := newFakeDynamoDB()
	fake.creatingPolls = 1 << 30
	b := newTestBootstrapper(nil, fake)
	b.TableTimeout = time.Hour

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := b.EnsureLockTable(ctx, "locks", "us-east-1")
	if err == nil {
		t.Fatal("EnsureLockTable succeeded, want the context's error")
	}
	if ctx.Err() == nil {
		t.Errorf("returned %v before the context ended", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "wait for lock table") {
		t.Errorf("error %q is neither the context's nor the wait's", err)
	}
}
