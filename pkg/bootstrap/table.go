package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// lockKey is the partition key that Terraform's S3 backend writes its locks
// under; it must be a string.
const lockKey = "LockID"

// EnsureLockTable creates the lock table with a LockID string key and
// on-demand billing unless it exists, and waits until it is ACTIVE. An
// existing table with another key is an error. An existing table's billing
// mode is left as it is, because switching it changes what the owner pays.
func (b *Bootstrapper) EnsureLockTable(ctx context.Context, name, region string) (Result, error) {
	res := Result{Resource: "lock table", Name: name, Region: region, Status: Exists}
	out, err := b.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return b.createLockTable(ctx, res)
	}
	if err != nil {
		return res, fmt.Errorf("check lock table %s: %w", name, err)
	}

	table := out.Table
	if err := checkLockKey(name, table); err != nil {
		return res, err
	}
	if mode := billingMode(table); mode != types.BillingModePayPerRequest {
		res.Note = fmt.Sprintf("billing mode %s left as it is", mode)
	}
	switch table.TableStatus {
	case types.TableStatusActive:
		return res, nil
	case types.TableStatusDeleting:
		return res, fmt.Errorf("lock table %s is being deleted: run bootstrap again once it is gone", name)
	}
	_, err = b.waitForTable(ctx, name)
	return res, err
}

// createLockTable creates the table and waits until it is ACTIVE.
func (b *Bootstrapper) createLockTable(ctx context.Context, res Result) (Result, error) {
	created, err := b.createTable(ctx, res.Name)
	if err != nil {
		return res, err
	}
	if created {
		res.Status = Created
	}

	out, err := b.waitForTable(ctx, res.Name)
	if err != nil {
		return res, err
	}
	return res, checkLockKey(res.Name, out.Table)
}

// createTable creates the table. It returns false when the table appeared
// since DescribeTable, which happens when another run created it.
func (b *Bootstrapper) createTable(ctx context.Context, name string) (bool, error) {
	_, err := b.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(lockKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(lockKey), KeyType: types.KeyTypeHash},
		},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create lock table %s: %w", name, err)
	}
	return true, nil
}

// waitForTable polls DescribeTable until the table is ACTIVE, the table
// timeout passes or ctx ends.
func (b *Bootstrapper) waitForTable(ctx context.Context, name string) (*dynamodb.DescribeTableOutput, error) {
	timeout := orDefault(b.TableTimeout, DefaultTableTimeout)
	waiter := dynamodb.NewTableExistsWaiter(b.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = b.pollDelay()
		o.MaxDelay = max(o.MinDelay, 10*o.MinDelay)
	})
	out, err := waiter.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, timeout)
	if err != nil {
		return nil, fmt.Errorf("wait for lock table %s to become ACTIVE (up to %s): %w", name, timeout, err)
	}
	return out, nil
}

// checkLockKey rejects a table whose key is not a single LockID string
// partition key, because Terraform could not write locks to it.
func checkLockKey(name string, table *types.TableDescription) error {
	if table == nil {
		return fmt.Errorf("check lock table %s: DescribeTable returned no table description", name)
	}
	if len(table.KeySchema) == 1 && aws.ToString(table.KeySchema[0].AttributeName) == lockKey &&
		table.KeySchema[0].KeyType == types.KeyTypeHash && attributeType(table, lockKey) == types.ScalarAttributeTypeS {
		return nil
	}
	return fmt.Errorf("lock table %s has key %s, but Terraform needs a table whose only key is the string partition key %s: choose another state.lock_table",
		name, describeKey(table), lockKey)
}

func attributeType(table *types.TableDescription, attribute string) types.ScalarAttributeType {
	for _, def := range table.AttributeDefinitions {
		if aws.ToString(def.AttributeName) == attribute {
			return def.AttributeType
		}
	}
	return ""
}

// describeKey formats a key schema for a message, such as "id (S, HASH)".
func describeKey(table *types.TableDescription) string {
	if len(table.KeySchema) == 0 {
		return "(none)"
	}
	var s string
	for i, k := range table.KeySchema {
		if i > 0 {
			s += " + "
		}
		attribute := aws.ToString(k.AttributeName)
		s += fmt.Sprintf("%s (%s, %s)", attribute, attributeType(table, attribute), k.KeyType)
	}
	return s
}

// billingMode returns the table's billing mode. DynamoDB omits the summary
// for tables that were always PROVISIONED.
func billingMode(table *types.TableDescription) types.BillingMode {
	if table.BillingModeSummary == nil || table.BillingModeSummary.BillingMode == "" {
		return types.BillingModeProvisioned
	}
	return table.BillingModeSummary.BillingMode
}
