//go:build e2e

package e2e

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// The emulators accept unsigned requests, so the harness talks to them with
// plain HTTP rather than an AWS SDK.

func createBucket(endpoint, bucket string) error {
	req, err := http.NewRequest(http.MethodPut, endpoint+"/"+bucket, nil)
	if err != nil {
		return err
	}
	return do(req, "create bucket "+bucket)
}

func createLockTable(endpoint, table string) error {
	body := fmt.Sprintf(`{"TableName":%q,"KeySchema":[{"AttributeName":"LockID","KeyType":"HASH"}],`+
		`"AttributeDefinitions":[{"AttributeName":"LockID","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`, table)
	return dynamodbCall(endpoint, "CreateTable", body, nil)
}

func dynamodbCall(endpoint, action, body string, out any) error {
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+action)
	// moto routes DynamoDB requests by the credential scope.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("dynamodb %s: %w", action, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("dynamodb %s: %s: %s", action, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func do(req *http.Request, what string) error {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s: %s", what, resp.Status, b)
	}
	return nil
}

// cmdS3Keys prints the keys of the script's bucket under a prefix, sorted,
// one a line.
func cmdS3Keys(ts *testscript.TestScript, neg bool, args []string) {
	prefix := ""
	if len(args) > 0 {
		prefix = args[0]
	}
	u := fmt.Sprintf("%s/%s?list-type=2&prefix=%s", ts.Getenv("S3_ENDPOINT"), ts.Getenv("BUCKET"), url.QueryEscape(prefix))
	resp, err := http.Get(u)
	ts.Check(err)
	defer resp.Body.Close()
	var list struct {
		Contents []struct{ Key string } `xml:"Contents"`
	}
	ts.Check(xml.NewDecoder(resp.Body).Decode(&list))
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	sort.Strings(keys)
	w := ts.Stdout()
	for _, k := range keys {
		fmt.Fprintln(w, k)
	}
}

// cmdS3Get prints one object of the script's bucket.
func cmdS3Get(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: s3get KEY")
	}
	resp, err := http.Get(ts.Getenv("S3_ENDPOINT") + "/" + ts.Getenv("BUCKET") + "/" + args[0])
	ts.Check(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if (resp.StatusCode == http.StatusOK) == neg {
		ts.Fatalf("get %s: %s", args[0], resp.Status)
	}
	ts.Stdout().Write(b)
}

// cmdLocks prints the state locks held in the script's lock table, one
// LockID a line. Terraform 1.5 also keeps a digest item per state, ending
// in -md5; those are not locks and are left out.
func cmdLocks(ts *testscript.TestScript, neg bool, args []string) {
	var out struct {
		Items []map[string]map[string]string
	}
	ts.Check(dynamodbCall(ts.Getenv("DYNAMODB_ENDPOINT"), "Scan", fmt.Sprintf(`{"TableName":%q}`, ts.Getenv("LOCK_TABLE")), &out))
	var ids []string
	for _, item := range out.Items {
		id := item["LockID"]["S"]
		if !strings.HasSuffix(id, "-md5") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	w := ts.Stdout()
	for _, id := range ids {
		fmt.Fprintln(w, id)
	}
}
