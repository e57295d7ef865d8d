// Package rotationtest provides an in-memory fake of the Secrets Manager
// operations rotation consumes, with Secrets Manager's staging-label
// semantics, and an http.Handler serving the same fake over the service's
// JSON 1.1 protocol, so the real SDK client can be tested against it
// (AWS_ENDPOINT_URL_SECRETS_MANAGER). There is no Secrets Manager emulator
// to test against; the semantics here follow the API reference.
package rotationtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portico/portico/internal/rotation"
)

// Staging labels with a meaning to the service.
const (
	current  = "AWSCURRENT"
	pending  = "AWSPENDING"
	previous = "AWSPREVIOUS"
)

// ARNPrefix is the ARN of every fake secret up to its name.
const ARNPrefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"

// Call is one operation the fake served.
type Call struct {
	Op        string // DescribeSecret, GetSecretValue, ...
	SecretID  string
	VersionID string // the version asked for, put or moved to, if any
}

// Fake is an in-memory Secrets Manager holding string secrets. It is safe
// for concurrent use. Secrets are found by name or by full ARN.
type Fake struct {
	// Fail, when set, is called before each operation with its name and
	// input, outside the fake's lock (it may call the fake); a non-nil
	// error is returned instead of serving the operation, which still
	// counts in Calls.
	Fail func(op string, in any) error

	mu      sync.Mutex
	secrets map[string]*secret // by name
	calls   []Call
	seq     int
	now     func() time.Time
}

type secret struct {
	arn, name string
	rotation  bool
	tags      []types.Tag
	versions  map[string]*version
}

type version struct {
	value   *string // nil: created by StartRotation, not yet put
	stages  []string
	created time.Time
}

// New returns an empty fake.
func New() *Fake {
	return &Fake{secrets: map[string]*secret{}, now: time.Now}
}

// CreateSecret adds a secret whose first version (staged AWSCURRENT) holds
// value, and returns its ARN. Rotation is off until EnableRotation.
func (f *Fake) CreateSecret(name, value string, tags map[string]string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &secret{arn: ARNPrefix + name + "-AbCdEf", name: name, versions: map[string]*version{}}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.tags = append(s.tags, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	s.versions[f.newID()] = &version{value: aws.String(value), stages: []string{current}, created: f.now()}
	f.secrets[name] = s
	return s.arn
}

// EnableRotation turns rotation on, as RotateSecret with a Lambda does.
func (f *Fake) EnableRotation(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustFind(id).rotation = true
}

// StartRotation does what Secrets Manager does before invoking the
// rotation function: it creates the token's version, with no value yet,
// staged AWSPENDING.
func (f *Fake) StartRotation(id, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.mustFind(id)
	s.versions[token] = &version{created: f.now()}
	s.attach(pending, token)
}

// Stages returns each staged version's labels (sorted), as DescribeSecret's
// VersionIdsToStages.
func (f *Fake) Stages(id string) map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mustFind(id).staged()
}

// Value returns a version's value; ok is false when it has none.
func (f *Fake) Value(id, versionID string) (value string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.mustFind(id).versions[versionID]
	if v == nil || v.value == nil {
		return "", false
	}
	return *v.value, true
}

// Versions is the number of versions the secret holds, staged or not.
func (f *Fake) Versions(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.mustFind(id).versions)
}

// Calls returns the operations served so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Count is how many calls of op were served.
func (f *Fake) Count(op string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Op == op {
			n++
		}
	}
	return n
}

func (f *Fake) mustFind(id string) *secret {
	s, err := f.find(id)
	if err != nil {
		panic("rotationtest: " + err.Error())
	}
	return s
}

func (f *Fake) find(id string) (*secret, error) {
	if s := f.secrets[id]; s != nil {
		return s, nil
	}
	for _, s := range f.secrets {
		if s.arn == id {
			return s, nil
		}
	}
	return nil, notFound("Secrets Manager can't find the specified secret.")
}

// begin records a call and runs the Fail hook; on success it returns with
// f.mu held.
func (f *Fake) begin(op string, in any, secretID, versionID *string) error {
	f.mu.Lock()
	f.calls = append(f.calls, Call{Op: op, SecretID: aws.ToString(secretID), VersionID: aws.ToString(versionID)})
	fail := f.Fail
	f.mu.Unlock()
	if fail != nil {
		if err := fail(op, in); err != nil {
			return err
		}
	}
	f.mu.Lock()
	return nil
}

func (f *Fake) newID() string {
	f.seq++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
}

// staged is VersionIdsToStages: versions with at least one label.
func (s *secret) staged() map[string][]string {
	out := map[string][]string{}
	for id, v := range s.versions {
		if len(v.stages) > 0 {
			st := slices.Clone(v.stages)
			sort.Strings(st)
			out[id] = st
		}
	}
	return out
}

// holder is the version a label is attached to, or "".
func (s *secret) holder(label string) string {
	for id, v := range s.versions {
		if slices.Contains(v.stages, label) {
			return id
		}
	}
	return ""
}

// attach moves label to version id; moving AWSCURRENT moves AWSPREVIOUS
// to the version it left, as the service does.
func (s *secret) attach(label, id string) {
	from := s.holder(label)
	if from == id {
		return
	}
	if from != "" {
		s.detach(label, from)
	}
	s.versions[id].stages = append(s.versions[id].stages, label)
	if label == current && from != "" {
		s.attach(previous, from)
	}
}

func (s *secret) detach(label, id string) {
	v := s.versions[id]
	v.stages = slices.DeleteFunc(v.stages, func(l string) bool { return l == label })
}

// DescribeSecret returns the secret's metadata: rotation, tags and staged
// versions.
func (f *Fake) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if err := f.begin("DescribeSecret", in, in.SecretId, nil); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	return &secretsmanager.DescribeSecretOutput{
		ARN:                aws.String(s.arn),
		Name:               aws.String(s.name),
		RotationEnabled:    aws.Bool(s.rotation),
		Tags:               slices.Clone(s.tags),
		VersionIdsToStages: s.staged(),
	}, nil
}

// GetSecretValue reads a version by VersionId and/or VersionStage (both
// must name the same version; neither means AWSCURRENT). A version without
// a value is not found.
func (f *Fake) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := f.begin("GetSecretValue", in, in.SecretId, in.VersionId); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	id, stage := aws.ToString(in.VersionId), aws.ToString(in.VersionStage)
	if id == "" && stage == "" {
		stage = current
	}
	if id == "" {
		id = s.holder(stage)
	}
	v := s.versions[id]
	if v == nil || v.value == nil || (stage != "" && !slices.Contains(v.stages, stage)) {
		return nil, notFound(fmt.Sprintf("Secrets Manager can't find the specified secret value for VersionId: %s, VersionStage: %s", aws.ToString(in.VersionId), stage))
	}
	st := slices.Clone(v.stages)
	sort.Strings(st)
	return &secretsmanager.GetSecretValueOutput{
		ARN:           aws.String(s.arn),
		Name:          aws.String(s.name),
		VersionId:     aws.String(id),
		SecretString:  aws.String(*v.value),
		VersionStages: st,
		CreatedDate:   aws.Time(v.created),
	}, nil
}

// PutSecretValue stores a new version (ClientRequestToken is its id) with
// the given labels (default AWSCURRENT). Putting the same value again under
// the same token changes nothing; a different value is ResourceExists.
func (f *Fake) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	if err := f.begin("PutSecretValue", in, in.SecretId, in.ClientRequestToken); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if in.SecretString == nil {
		return nil, invalidParameter("You must provide either SecretString or SecretBinary.")
	}
	id := aws.ToString(in.ClientRequestToken)
	if id == "" {
		id = f.newID()
	}
	if len(id) < 32 || len(id) > 64 {
		return nil, invalidParameter("ClientRequestToken must be 32 to 64 characters.")
	}
	labels := in.VersionStages
	if labels == nil {
		labels = []string{current}
	}
	v := s.versions[id]
	switch {
	case v != nil && v.value != nil && *v.value == *in.SecretString:
		// idempotent retry: ignored
	case v != nil && v.value != nil:
		return nil, &types.ResourceExistsException{Message: aws.String("A resource with the ID you requested already exists.")}
	default:
		if v == nil {
			v = &version{created: f.now()}
			s.versions[id] = v
		}
		v.value = aws.String(*in.SecretString)
		for _, l := range labels {
			s.attach(l, id)
		}
	}
	st := slices.Clone(v.stages)
	sort.Strings(st)
	return &secretsmanager.PutSecretValueOutput{ARN: aws.String(s.arn), Name: aws.String(s.name), VersionId: aws.String(id), VersionStages: st}, nil
}

// UpdateSecretVersionStage moves (MoveToVersionId) or removes
// (RemoveFromVersionId alone) a label. Moving a label that another version
// holds requires RemoveFromVersionId to name that version; moving
// AWSCURRENT moves AWSPREVIOUS to the version it left.
func (f *Fake) UpdateSecretVersionStage(_ context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	if err := f.begin("UpdateSecretVersionStage", in, in.SecretId, in.MoveToVersionId); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	label, to, from := aws.ToString(in.VersionStage), aws.ToString(in.MoveToVersionId), aws.ToString(in.RemoveFromVersionId)
	if label == "" {
		return nil, invalidParameter("VersionStage is required.")
	}
	for _, id := range []string{to, from} {
		if id != "" && s.versions[id] == nil {
			return nil, notFound("Secrets Manager can't find the specified secret version " + id + ".")
		}
	}
	holder := s.holder(label)
	out := &secretsmanager.UpdateSecretVersionStageOutput{ARN: aws.String(s.arn), Name: aws.String(s.name)}
	switch {
	case to == "" && from == "":
		return nil, invalidParameter("Specify MoveToVersionId, RemoveFromVersionId or both.")
	case to == "":
		if holder != from {
			return nil, invalidParameter(fmt.Sprintf("The staging label %s is not attached to version %s.", label, from))
		}
		s.detach(label, from)
	case holder == to:
		// already there
	case holder != "" && holder != from:
		return nil, invalidParameter(fmt.Sprintf("The staging label %s is attached to version %s; RemoveFromVersionId must name it.", label, holder))
	default:
		s.attach(label, to)
	}
	return out, nil
}

// GetRandomPassword draws from crypto/rand, honouring the character-class
// options (default length 32, each included class required).
func (f *Fake) GetRandomPassword(_ context.Context, in *secretsmanager.GetRandomPasswordInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error) {
	if err := f.begin("GetRandomPassword", in, nil, nil); err != nil {
		return nil, err
	}
	f.mu.Unlock()
	n := int(aws.ToInt64(in.PasswordLength))
	if in.PasswordLength == nil {
		n = 32
	}
	if n < 1 || n > 4096 {
		return nil, invalidParameter("PasswordLength must be from 1 to 4096.")
	}
	excl := aws.ToString(in.ExcludeCharacters)
	keep := func(set string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(excl, r) {
				return -1
			}
			return r
		}, set)
	}
	var classes []string
	for _, c := range []struct {
		set  string
		skip *bool
	}{
		{"abcdefghijklmnopqrstuvwxyz", in.ExcludeLowercase},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", in.ExcludeUppercase},
		{"0123456789", in.ExcludeNumbers},
		{"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", in.ExcludePunctuation},
	} {
		if !aws.ToBool(c.skip) {
			if k := keep(c.set); k != "" {
				classes = append(classes, k)
			}
		}
	}
	if aws.ToBool(in.IncludeSpace) && !strings.Contains(excl, " ") {
		classes = append(classes, " ")
	}
	alphabet := strings.Join(classes, "")
	require := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if alphabet == "" || (require && n < len(classes)) {
		return nil, invalidParameter("The options leave no password to generate.")
	}
	for {
		b := make([]byte, n)
		for i := range b {
			j, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return nil, err
			}
			b[i] = alphabet[j.Int64()]
		}
		pw := string(b)
		if !require || slices.IndexFunc(classes, func(c string) bool { return !strings.ContainsAny(pw, c) }) < 0 {
			return &secretsmanager.GetRandomPasswordOutput{RandomPassword: aws.String(pw)}, nil
		}
	}
}

func notFound(msg string) error {
	return &types.ResourceNotFoundException{Message: aws.String(msg)}
}

func invalidParameter(msg string) error {
	return &types.InvalidParameterException{Message: aws.String(msg)}
}

var _ rotation.SecretsManager = (*Fake)(nil)
