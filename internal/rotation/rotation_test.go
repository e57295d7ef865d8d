package rotation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portico/portico/internal/rotation"
	"github.com/portico/portico/internal/rotation/rotationtest"
)

const (
	token    = "11111111-2222-4333-8444-555555555555"
	oldKey   = "old0key0old0key0old0key0old0key0old0key0old0key0old0key0old0key0" // 64 alphanumerics
	otherTok = "99999999-2222-4333-8444-555555555555"
)

var steps = []string{rotation.StepCreate, rotation.StepSet, rotation.StepTest, rotation.StepFinish}

// env is one secret in a fake Secrets Manager, with a rotation started for
// token, and a Rotator logging to logs.
type env struct {
	fake *rotationtest.Fake
	arn  string
	rot  *rotation.Rotator
	logs *bytes.Buffer
}

func newEnv(t *testing.T, sm func(*rotationtest.Fake) rotation.SecretsManager, tags map[string]string) *env {
	t.Helper()
	f := rotationtest.New()
	arn := f.CreateSecret("portico/dev/cursor-key", oldKey, tags)
	f.EnableRotation(arn)
	f.StartRotation(arn, token)
	var client rotation.SecretsManager = f
	if sm != nil {
		client = sm(f)
	}
	logs := &bytes.Buffer{}
	rot, err := rotation.New(rotation.Config{Client: client, Log: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: f, arn: arn, rot: rot, logs: logs}
}

func (e *env) step(ctx context.Context, step string) error {
	return e.rot.Rotate(ctx, rotation.Request{SecretID: e.arn, Token: token, Step: step})
}

// oldVersion is the id of the version created with the secret.
func (e *env) oldVersion(t *testing.T) string {
	t.Helper()
	for id := range e.fake.Stages(e.arn) {
		if id != token {
			return id
		}
	}
	t.Fatal("no old version")
	return ""
}

// checkRotated asserts the end state of a finished rotation: the token's
// version is AWSCURRENT with a new key of the given shape, the old version
// AWSPREVIOUS, and no log line holds either key.
func (e *env) checkRotated(t *testing.T, length int, alphabet string) {
	t.Helper()
	stages := e.fake.Stages(e.arn)
	if !slices.Contains(stages[token], rotation.StageCurrent) {
		t.Fatalf("token stages %v, want AWSCURRENT (all %v)", stages[token], stages)
	}
	old := e.oldVersion(t)
	if !slices.Equal(stages[old], []string{rotation.StagePrevious}) {
		t.Fatalf("old version stages %v, want [AWSPREVIOUS]", stages[old])
	}
	key, ok := e.fake.Value(e.arn, token)
	if !ok || len(key) != length || key == oldKey {
		t.Fatalf("new key has length %d (ok %v), want %d and different from the old key", len(key), ok, length)
	}
	for i := range len(key) {
		if !strings.ContainsRune(alphabet, rune(key[i])) {
			t.Fatalf("new key has %q, outside its charset", key[i])
		}
	}
	if n := e.fake.Versions(e.arn); n != 2 {
		t.Fatalf("%d versions, want 2", n)
	}
	logs := e.logs.String()
	if strings.Contains(logs, key) || strings.Contains(logs, oldKey) {
		t.Fatalf("logs hold a key:\n%s", logs)
	}
}

const (
	alnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	hex       = "0123456789abcdef"
	printable = alnum + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

func TestRotateFullCycle(t *testing.T) {
	tests := []struct {
		name     string
		tags     map[string]string
		length   int
		alphabet string
	}{
		{"default is 64 alphanumerics", nil, 64, alnum},
		{"unrelated tags", map[string]string{"team": "platform"}, 64, alnum},
		{"hex", map[string]string{rotation.TagCharset: "hex", rotation.TagLength: "40"}, 40, hex},
		{"printable", map[string]string{rotation.TagCharset: "Printable", rotation.TagLength: "128"}, 128, printable},
		{"minimum length", map[string]string{rotation.TagLength: "32"}, 32, alnum},
		{"maximum length", map[string]string{rotation.TagLength: "4096"}, 4096, alnum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.tags)
			for _, s := range steps {
				if err := e.step(t.Context(), s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			e.checkRotated(t, tt.length, tt.alphabet)
			for _, c := range []string{"PutSecretValue", "GetRandomPassword", "UpdateSecretVersionStage"} {
				if n := e.fake.Count(c); n != 1 {
					t.Errorf("%s called %d times, want 1", c, n)
				}
			}
		})
	}
}

// TestRotateRetries invokes steps again, as Secrets Manager does after a
// failure or a lost response: each repeat changes nothing.
func TestRotateRetries(t *testing.T) {
	tests := []struct {
		name string
		seq  []string
	}{
		{"every step twice", []string{"createSecret", "createSecret", "setSecret", "setSecret", "testSecret", "testSecret", "finishSecret", "finishSecret"}},
		{"whole rotation twice", append(slices.Clone(steps), steps...)},
		{"restart from createSecret before finish", []string{"createSecret", "setSecret", "testSecret", "createSecret", "setSecret", "testSecret", "finishSecret"}},
		{"late createSecret after finish", []string{"createSecret", "setSecret", "testSecret", "finishSecret", "createSecret", "testSecret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			var first string
			for i, s := range tt.seq {
				if err := e.step(t.Context(), s); err != nil {
					t.Fatalf("call %d (%s): %v", i, s, err)
				}
				if v, ok := e.fake.Value(e.arn, token); ok && first == "" {
					first = v
				} else if ok && v != first {
					t.Fatalf("call %d (%s) replaced the pending key", i, s)
				}
			}
			e.checkRotated(t, 64, alnum)
			if n := e.fake.Count("PutSecretValue"); n != 1 {
				t.Fatalf("PutSecretValue called %d times, want 1", n)
			}
			if n := e.fake.Count("UpdateSecretVersionStage"); n != 1 {
				t.Fatalf("UpdateSecretVersionStage called %d times, want 1", n)
			}
		})
	}
}

// failOnce makes the first call of op made while *armed fail with err.
func failOnce(op string, err error, armed *bool) func(*rotationtest.Fake) rotation.SecretsManager {
	return func(f *rotationtest.Fake) rotation.SecretsManager {
		done := false
		f.Fail = func(o string, _ any) error {
			if o == op && *armed && !done {
				done = true
				return err
			}
			return nil
		}
		return f
	}
}

var errThrottled = &types.InternalServiceError{Message: aws.String("try again")}

// TestRotateTransientFailures fails one call inside a step: the step
// reports the error, and running it again completes the rotation.
func TestRotateTransientFailures(t *testing.T) {
	tests := []struct {
		op   string
		step string
	}{
		{"DescribeSecret", rotation.StepCreate},
		{"GetSecretValue", rotation.StepCreate},
		{"GetRandomPassword", rotation.StepCreate},
		{"PutSecretValue", rotation.StepCreate},
		{"DescribeSecret", rotation.StepSet},
		{"GetSecretValue", rotation.StepTest},
		{"DescribeSecret", rotation.StepFinish},
		{"UpdateSecretVersionStage", rotation.StepFinish},
	}
	for _, tt := range tests {
		t.Run(tt.step+"/"+tt.op, func(t *testing.T) {
			armed := false
			e := newEnv(t, failOnce(tt.op, errThrottled, &armed), nil)
			for _, s := range steps {
				armed = s == tt.step
				err := e.step(t.Context(), s)
				if s == tt.step {
					var se *rotation.StepError
					var ise *types.InternalServiceError
					if !errors.As(err, &se) || se.Step != s || se.SecretID != e.arn || se.Token != token || !errors.As(err, &ise) {
						t.Fatalf("%s: err = %v, want a StepError wrapping the injected failure", s, err)
					}
					err = e.step(t.Context(), s) // Secrets Manager's retry
				}
				if err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			e.checkRotated(t, 64, alnum)
		})
	}
}

// TestCreateSecretRace: another invocation stores a key for the same token
// between this one's read and its PutSecretValue; Secrets Manager refuses
// the second value, and the step keeps the first.
func TestCreateSecretRace(t *testing.T) {
	winner := strings.Repeat("W", 64)
	e := newEnv(t, func(f *rotationtest.Fake) rotation.SecretsManager {
		raced := false
		f.Fail = func(op string, _ any) error {
			if op == "PutSecretValue" && !raced {
				raced = true
				_, err := f.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
					SecretId: aws.String(rotationtest.ARNPrefix + "portico/dev/cursor-key-AbCdEf"), ClientRequestToken: aws.String(token),
					SecretString: aws.String(winner), VersionStages: []string{rotation.StagePending},
				})
				return err
			}
			return nil
		}
		return f
	}, nil)
	if err := e.step(t.Context(), rotation.StepCreate); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.fake.Value(e.arn, token); v != winner {
		t.Fatal("the step replaced the concurrently created key")
	}
}

func TestRotateErrors(t *testing.T) {
	pendingValue := func(v string) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			if _, err := e.fake.PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{
				SecretId: aws.String(e.arn), ClientRequestToken: aws.String(token), SecretString: aws.String(v), VersionStages: []string{rotation.StagePending},
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name  string
		tags  map[string]string
		setup func(*testing.T, *env)
		req   func(e *env) rotation.Request
		want  error // errors.Is target, or nil to check only errTarget
		as    any   // errors.As target, if any
	}{
		{name: "unknown step", req: func(e *env) rotation.Request {
			return rotation.Request{SecretID: e.arn, Token: token, Step: "rotateSecret"}
		}, want: rotation.ErrUnknownStep},
		{name: "no token", req: func(e *env) rotation.Request {
			return rotation.Request{SecretID: e.arn, Step: rotation.StepCreate}
		}, want: rotation.ErrBadRequest},
		{name: "no secret id", req: func(e *env) rotation.Request {
			return rotation.Request{Token: token, Step: rotation.StepCreate}
		}, want: rotation.ErrBadRequest},
		{name: "unknown secret", req: func(e *env) rotation.Request {
			return rotation.Request{SecretID: "portico/dev/nope", Token: token, Step: rotation.StepCreate}
		}, as: new(*types.ResourceNotFoundException)},
		{name: "rotation disabled", setup: func(t *testing.T, e *env) {
			e.arn = e.fake.CreateSecret("portico/dev/manual", oldKey, nil)
			e.fake.StartRotation(e.arn, token)
		}, want: rotation.ErrRotationDisabled},
		{name: "token is an old version", setup: func(t *testing.T, e *env) {
			for _, s := range steps {
				if err := e.step(t.Context(), s); err != nil {
					t.Fatal(err)
				}
			}
			e.fake.StartRotation(e.arn, otherTok)
			for _, s := range steps {
				if err := e.rot.Rotate(t.Context(), rotation.Request{SecretID: e.arn, Token: otherTok, Step: s}); err != nil {
					t.Fatal(err)
				}
			}
		}, want: rotation.ErrNotPending}, // token is now AWSPREVIOUS
		{name: "setSecret without a version", req: reqFor(otherTok, rotation.StepSet), want: rotation.ErrNoPendingVersion},
		{name: "testSecret without a version", req: reqFor(otherTok, rotation.StepTest), want: rotation.ErrNoPendingVersion},
		{name: "finishSecret without a version", req: reqFor(otherTok, rotation.StepFinish), want: rotation.ErrNoPendingVersion},
		{name: "testSecret before createSecret", req: reqFor(token, rotation.StepTest), want: rotation.ErrNoPendingVersion},
		{name: "length tag too short", tags: map[string]string{rotation.TagLength: "16"}, want: rotation.ErrInvalidKeySpec},
		{name: "length tag not a number", tags: map[string]string{rotation.TagLength: "long"}, want: rotation.ErrInvalidKeySpec},
		{name: "unknown charset tag", tags: map[string]string{rotation.TagCharset: "emoji"}, want: rotation.ErrInvalidKeySpec},
		{name: "pending key too short", setup: pendingValue("short"), req: reqFor(token, rotation.StepTest), want: rotation.ErrKeyTest},
		{name: "pending key outside charset", setup: pendingValue(strings.Repeat("-", 64)), req: reqFor(token, rotation.StepTest), want: rotation.ErrKeyTest},
		{name: "pending key equals current", setup: pendingValue(oldKey), req: reqFor(token, rotation.StepTest), want: rotation.ErrKeyTest},
		{name: "no AWSCURRENT version", setup: func(t *testing.T, e *env) {
			if _, err := e.fake.UpdateSecretVersionStage(t.Context(), &secretsmanager.UpdateSecretVersionStageInput{
				SecretId: aws.String(e.arn), VersionStage: aws.String(rotation.StageCurrent), RemoveFromVersionId: aws.String(e.oldVersion(t)),
			}); err != nil {
				t.Fatal(err)
			}
		}, as: new(*types.ResourceNotFoundException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.tags)
			if tt.setup != nil {
				tt.setup(t, e)
				e.logs.Reset()
			}
			req := rotation.Request{SecretID: e.arn, Token: token, Step: rotation.StepCreate}
			if tt.req != nil {
				req = tt.req(e)
				if req.SecretID == "" && tt.want != rotation.ErrBadRequest {
					req.SecretID = e.arn
				}
			}
			before := e.fake.Stages(e.arn)
			err := e.rot.Rotate(t.Context(), req)
			var se *rotation.StepError
			if !errors.As(err, &se) || se.Step != req.Step || se.SecretID != req.SecretID {
				t.Fatalf("err = %v, want a *StepError for %s", err, req.Step)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.as != nil && !errors.As(err, tt.as) {
				t.Fatalf("err = %v, want %T", err, tt.as)
			}
			if after := e.fake.Stages(e.arn); !equalStages(before, after) {
				t.Fatalf("a failed step changed the stages: %v -> %v", before, after)
			}
			if n := e.fake.Count("PutSecretValue") + e.fake.Count("UpdateSecretVersionStage"); n != 0 && tt.setup == nil {
				t.Fatalf("a failed step wrote %d times", n)
			}
			checkLogLines(t, e.logs.Bytes(), req.Step)
		})
	}
}

// reqFor is a request for e's secret; the secret id is filled in by the test.
func reqFor(tok, step string) func(*env) rotation.Request {
	return func(*env) rotation.Request { return rotation.Request{Token: tok, Step: step} }
}

func equalStages(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// checkLogLines asserts every log line is JSON naming the secret and step.
func checkLogLines(t *testing.T, logs []byte, step string) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(logs), []byte("\n"))
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal(l, &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if rec["step"] != step || rec["secret"] == nil || rec["msg"] == nil {
			t.Fatalf("log line %s lacks secret or step %s", l, step)
		}
	}
}

func TestRotateLogs(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, s := range steps {
		e.logs.Reset()
		if err := e.step(t.Context(), s); err != nil {
			t.Fatal(err)
		}
		if e.logs.Len() == 0 {
			t.Fatalf("%s logged nothing", s)
		}
		checkLogLines(t, e.logs.Bytes(), s)
	}
	e.checkRotated(t, 64, alnum)
}

func TestNewRequiresClient(t *testing.T) {
	if _, err := rotation.New(rotation.Config{}); err == nil {
		t.Fatal("New without a client must fail")
	}
}
