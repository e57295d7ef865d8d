package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// secretsAPI is the part of the Secrets Manager client app uses.
type secretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// newSecretsClient builds a Secrets Manager client from the default AWS
// configuration chain; the SDK honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_SECRETS_MANAGER.
func newSecretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// secretString reads the AWSCURRENT value of a string secret.
func secretString(ctx context.Context, client secretsAPI, arn string) (string, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", arn, err)
	}
	if out.SecretString == nil || *out.SecretString == "" {
		return "", errors.New("secret " + arn + " has no string value")
	}
	return *out.SecretString, nil
}

// secretStages reads the AWSCURRENT and AWSPREVIOUS values of a string
// secret; previous is "" before the first rotation (no version has the
// label).
func secretStages(ctx context.Context, client secretsAPI, arn string) (current, previous string, err error) {
	if current, err = secretString(ctx, client, arn); err != nil {
		return "", "", err
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn), VersionStage: aws.String("AWSPREVIOUS")})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return current, "", nil
	case err != nil:
		return "", "", fmt.Errorf("read secret %s (AWSPREVIOUS): %w", arn, err)
	}
	return current, aws.ToString(out.SecretString), nil
}
