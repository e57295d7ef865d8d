package rotation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsManager is the part of the Secrets Manager client rotation uses;
// *secretsmanager.Client and rotationtest.Fake implement it.
type SecretsManager interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
	GetRandomPassword(ctx context.Context, in *secretsmanager.GetRandomPasswordInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetRandomPasswordOutput, error)
}

// The rotation steps, as Secrets Manager names them in the event.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// The staging labels of the rotation contract.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

var (
	// ErrUnknownStep reports an event whose Step is none of the four.
	ErrUnknownStep = errors.New("unknown rotation step")
	// ErrBadRequest reports an event without a SecretId or ClientRequestToken.
	ErrBadRequest = errors.New("rotation event needs SecretId and ClientRequestToken")
	// ErrRotationDisabled reports a secret whose rotation is not enabled.
	ErrRotationDisabled = errors.New("rotation is not enabled for the secret")
	// ErrNotPending reports a token whose version exists but is staged
	// neither AWSPENDING nor AWSCURRENT: it belongs to no rotation in
	// progress, and rotating it could stage an old value.
	ErrNotPending = errors.New("version is not staged AWSPENDING")
	// ErrNoPendingVersion reports a setSecret, testSecret or finishSecret
	// for a token with no version: createSecret has not run for it.
	ErrNoPendingVersion = errors.New("no version for the token")
	// ErrNoCurrentVersion reports a secret with no AWSCURRENT version.
	ErrNoCurrentVersion = errors.New("secret has no AWSCURRENT version")
	// ErrKeyTest reports a pending key that failed testSecret.
	ErrKeyTest = errors.New("pending key failed the test")
)

// StepError is a failed rotation step: which secret, step and version.
type StepError struct {
	SecretID string
	Step     string
	Token    string
	Err      error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("rotate %s: %s (version %s): %v", e.SecretID, e.Step, e.Token, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Request is one invocation by Secrets Manager (the rotation event).
type Request struct {
	SecretID string // SecretId: the secret's ARN
	Token    string // ClientRequestToken: the new version's id
	Step     string
	// RotationToken, when Secrets Manager sends one, is passed on to
	// PutSecretValue (it proves the caller for assumed-role rotation).
	// Sensitive: never logged.
	RotationToken string
}

// Config configures a Rotator.
type Config struct {
	Client SecretsManager // required
	Log    *slog.Logger   // default: discard
}

// Rotator runs the rotation steps for platform-managed keys.
type Rotator struct {
	sm  SecretsManager
	log *slog.Logger
}

// New validates cfg and returns a Rotator.
func New(cfg Config) (*Rotator, error) {
	if cfg.Client == nil {
		return nil, errors.New("rotation: Config.Client is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	return &Rotator{sm: cfg.Client, log: cfg.Log}, nil
}

// Rotate runs one step for one secret. Every step first checks that
// rotation is enabled and the token's version is staged AWSPENDING (or,
// for createSecret, absent); a token already AWSCURRENT means the rotation
// finished, and the step does nothing. Errors are *StepError.
func (r *Rotator) Rotate(ctx context.Context, req Request) error {
	log := r.log.With("secret", req.SecretID, "step", req.Step, "version", req.Token)
	err := r.rotate(ctx, log, req)
	if err != nil {
		log.Error("rotation step failed", "error", err.Error())
		return &StepError{SecretID: req.SecretID, Step: req.Step, Token: req.Token, Err: err}
	}
	return nil
}

func (r *Rotator) rotate(ctx context.Context, log *slog.Logger, req Request) error {
	if req.SecretID == "" || req.Token == "" {
		return ErrBadRequest
	}
	switch req.Step {
	case StepCreate, StepSet, StepTest, StepFinish:
	default:
		return fmt.Errorf("%w %q", ErrUnknownStep, req.Step)
	}
	meta, err := r.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(req.SecretID)})
	if err != nil {
		return fmt.Errorf("describe secret: %w", err)
	}
	if !aws.ToBool(meta.RotationEnabled) {
		return ErrRotationDisabled
	}
	stages, exists := meta.VersionIdsToStages[req.Token]
	switch {
	case slices.Contains(stages, StageCurrent):
		log.Info("version already AWSCURRENT; nothing to do")
		return nil
	case exists && !slices.Contains(stages, StagePending):
		return fmt.Errorf("%w (stages %v)", ErrNotPending, stages)
	case !exists && req.Step != StepCreate:
		return ErrNoPendingVersion
	}
	spec, err := keySpecFromTags(meta.Tags)
	if err != nil {
		return err
	}

	switch req.Step {
	case StepCreate:
		return r.create(ctx, log, req, spec)
	case StepSet:
		// The key is the whole secret: no other system holds a copy to
		// update. Its users read AWSCURRENT at cold start.
		log.Info("nothing to set: the key is platform-managed")
		return nil
	case StepTest:
		return r.test(ctx, log, req, spec)
	default:
		return r.finish(ctx, log, req, meta.VersionIdsToStages)
	}
}
