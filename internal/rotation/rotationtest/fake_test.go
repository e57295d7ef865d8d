package rotationtest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portico/portico/internal/rotation/rotationtest"
)

const (
	v2 = "22222222-2222-4222-8222-222222222222"
	v3 = "33333333-3333-4333-8333-333333333333"
)

// TestStagingLabels checks the fake against the documented semantics of
// PutSecretValue, UpdateSecretVersionStage and GetSecretValue.
func TestStagingLabels(t *testing.T) {
	ctx := t.Context()
	f := rotationtest.New()
	arn := f.CreateSecret("s", "one", nil)
	var v1 string
	for id := range f.Stages(arn) {
		v1 = id
	}
	put := func(id, value string, stages ...string) error {
		_, err := f.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), ClientRequestToken: aws.String(id), SecretString: aws.String(value), VersionStages: stages})
		return err
	}
	move := func(label, to, from string) error {
		in := &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String(arn), VersionStage: aws.String(label)}
		if to != "" {
			in.MoveToVersionId = aws.String(to)
		}
		if from != "" {
			in.RemoveFromVersionId = aws.String(from)
		}
		_, err := f.UpdateSecretVersionStage(ctx, in)
		return err
	}
	get := func(id, stage string) (string, error) {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}
		if id != "" {
			in.VersionId = aws.String(id)
		}
		if stage != "" {
			in.VersionStage = aws.String(stage)
		}
		out, err := f.GetSecretValue(ctx, in)
		if err != nil {
			return "", err
		}
		return *out.SecretString, nil
	}
	var nf *types.ResourceNotFoundException
	var ip *types.InvalidParameterException
	var re *types.ResourceExistsException

	steps := []struct {
		name  string
		do    func() error
		as    any
		after map[string][]string
	}{
		{"put pending", func() error { return put(v2, "two", "AWSPENDING") }, nil,
			map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPENDING"}}},
		{"same put again is ignored", func() error { return put(v2, "two", "AWSPENDING") }, nil,
			map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPENDING"}}},
		{"other value under the same token", func() error { return put(v2, "other", "AWSPENDING") }, &re,
			map[string][]string{v1: {"AWSCURRENT"}, v2: {"AWSPENDING"}}},
		{"id and stage of different versions", func() error { _, err := get(v1, "AWSPENDING"); return err }, &nf, nil},
		{"moving AWSCURRENT needs RemoveFromVersionId", func() error { return move("AWSCURRENT", v2, "") }, &ip, nil},
		{"RemoveFromVersionId must hold the label", func() error { return move("AWSCURRENT", v2, v2) }, &ip, nil},
		{"unknown version", func() error { return move("AWSCURRENT", v3, v1) }, &nf, nil},
		{"move AWSCURRENT: AWSPREVIOUS follows", func() error { return move("AWSCURRENT", v2, v1) }, nil,
			map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT", "AWSPENDING"}}},
		{"move again is a no-op", func() error { return move("AWSCURRENT", v2, v1) }, nil,
			map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT", "AWSPENDING"}}},
		{"remove AWSPENDING", func() error { return move("AWSPENDING", "", v2) }, nil,
			map[string][]string{v1: {"AWSPREVIOUS"}, v2: {"AWSCURRENT"}}},
		{"put without stages becomes AWSCURRENT", func() error { return put(v3, "three") }, nil,
			map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}}}, // v1 lost its last label
	}
	for _, s := range steps {
		err := s.do()
		if s.as == nil && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.as != nil && !errors.As(err, s.as) {
			t.Fatalf("%s: err = %v, want %T", s.name, err, s.as)
		}
		if s.after != nil {
			got := f.Stages(arn)
			if len(got) != len(s.after) {
				t.Fatalf("%s: stages %v, want %v", s.name, got, s.after)
			}
			for id, want := range s.after {
				slices.Sort(want)
				if !slices.Equal(got[id], want) {
					t.Fatalf("%s: stages %v, want %v", s.name, got, s.after)
				}
			}
		}
	}
	if v, err := get("", ""); err != nil || v != "three" {
		t.Fatalf("default read = %q, %v; want AWSCURRENT", v, err)
	}
	if v, err := get(v1, ""); err != nil || v != "one" {
		t.Fatalf("unlabelled version by id = %q, %v", v, err)
	}
}

func TestStartRotationVersionHasNoValue(t *testing.T) {
	f := rotationtest.New()
	arn := f.CreateSecret("s", "one", nil)
	f.StartRotation(arn, v2)
	if !slices.Equal(f.Stages(arn)[v2], []string{"AWSPENDING"}) {
		t.Fatalf("stages %v", f.Stages(arn))
	}
	_, err := f.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionId: aws.String(v2), VersionStage: aws.String("AWSPENDING")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want ResourceNotFoundException", err)
	}
}

func TestGetRandomPassword(t *testing.T) {
	tests := []struct {
		name    string
		in      secretsmanager.GetRandomPasswordInput
		n       int
		allowed string
		wantErr bool
	}{
		{"default", secretsmanager.GetRandomPasswordInput{}, 32, "", false},
		{"alphanumeric", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(64), ExcludePunctuation: aws.Bool(true)}, 64,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", false},
		{"hex", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(40), ExcludePunctuation: aws.Bool(true), ExcludeUppercase: aws.Bool(true),
			ExcludeCharacters: aws.String("ghijklmnopqrstuvwxyz")}, 40, "0123456789abcdef", false},
		{"too long", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)}, 0, "", true},
		{"nothing left", secretsmanager.GetRandomPasswordInput{ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludeNumbers: aws.Bool(true), ExcludePunctuation: aws.Bool(true)}, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := rotationtest.New().GetRandomPassword(t.Context(), &tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pw := *out.RandomPassword
			if len(pw) != tt.n || strings.Contains(pw, " ") {
				t.Fatalf("length %d, want %d, no space", len(pw), tt.n)
			}
			if tt.allowed != "" && strings.Trim(pw, tt.allowed) != "" {
				t.Fatalf("%q has characters outside %q", pw, tt.allowed)
			}
		})
	}
}
