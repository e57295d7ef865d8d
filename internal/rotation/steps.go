package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// create stores a new random key as the token's version, staged
// AWSPENDING, unless that version already holds a value (a retry).
func (r *Rotator) create(ctx context.Context, log *slog.Logger, req Request, spec KeySpec) error {
	current, err := r.value(ctx, req.SecretID, "", StageCurrent)
	if err != nil {
		return fmt.Errorf("read AWSCURRENT: %w", err)
	}
	switch _, err := r.value(ctx, req.SecretID, req.Token, StagePending); {
	case err == nil:
		log.Info("pending version exists; keeping it")
		return nil
	case !isNotFound(err):
		return fmt.Errorf("read pending version: %w", err)
	}

	out, err := r.sm.GetRandomPassword(ctx, spec.passwordInput())
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	key := aws.ToString(out.RandomPassword)
	if err := spec.check(key); err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	if key == current {
		return errors.New("generate key: the new key equals the current key")
	}
	in := &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(req.SecretID),
		ClientRequestToken: aws.String(req.Token),
		SecretString:       aws.String(key),
		VersionStages:      []string{StagePending},
	}
	if req.RotationToken != "" {
		in.RotationToken = aws.String(req.RotationToken)
	}
	if _, err := r.sm.PutSecretValue(ctx, in); err != nil {
		// A concurrent createSecret for the same token stored its own key
		// first: the version exists, which is all this step promises.
		var exists *types.ResourceExistsException
		if errors.As(err, &exists) {
			if _, rerr := r.value(ctx, req.SecretID, req.Token, StagePending); rerr == nil {
				log.Info("pending version created concurrently; keeping it")
				return nil
			}
		}
		return fmt.Errorf("put pending version: %w", err)
	}
	log.Info("created pending version", "length", spec.Length, "charset", string(spec.Charset))
	return nil
}

// test checks the pending key against the spec and that it differs from
// the current key.
func (r *Rotator) test(ctx context.Context, log *slog.Logger, req Request, spec KeySpec) error {
	pending, err := r.value(ctx, req.SecretID, req.Token, StagePending)
	if isNotFound(err) {
		return fmt.Errorf("read pending version: %w: %w", ErrNoPendingVersion, err)
	}
	if err != nil {
		return fmt.Errorf("read pending version: %w", err)
	}
	if err := spec.check(pending); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyTest, err)
	}
	current, err := r.value(ctx, req.SecretID, "", StageCurrent)
	if err != nil {
		return fmt.Errorf("read AWSCURRENT: %w", err)
	}
	if pending == current {
		return fmt.Errorf("%w: it equals the current key", ErrKeyTest)
	}
	log.Info("pending key passed", "length", spec.Length, "charset", string(spec.Charset))
	return nil
}

// finish moves AWSCURRENT to the token's version; Secrets Manager moves
// AWSPREVIOUS to the version it leaves.
func (r *Rotator) finish(ctx context.Context, log *slog.Logger, req Request, versions map[string][]string) error {
	current := ""
	for id, stages := range versions {
		if slices.Contains(stages, StageCurrent) {
			current = id
			break
		}
	}
	if current == "" {
		return ErrNoCurrentVersion
	}
	_, err := r.sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(req.SecretID),
		VersionStage:        aws.String(StageCurrent),
		MoveToVersionId:     aws.String(req.Token),
		RemoveFromVersionId: aws.String(current),
	})
	if err != nil {
		return fmt.Errorf("move AWSCURRENT from version %s: %w", current, err)
	}
	log.Info("moved AWSCURRENT to the new version", "previous", current)
	return nil
}

// value reads a string version by id and/or stage (both must match when
// both are given).
func (r *Rotator) value(ctx context.Context, secretID, versionID, stage string) (string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID), VersionStage: aws.String(stage)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	out, err := r.sm.GetSecretValue(ctx, in)
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", errors.New("version has no string value")
	}
	return *out.SecretString, nil
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}
