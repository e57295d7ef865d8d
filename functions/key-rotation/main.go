// Command key-rotation is the Secrets Manager rotation Lambda for Portico's
// platform-managed keys (portico/<env>/*, such as the cursor key). It only
// wires; the four steps are in internal/rotation, and docs/key-rotation.md
// describes them.
//
// Environment: PORTICO_LOG_LEVEL (default info); the AWS SDK's own
// (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER, ...).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/portico/portico/internal/rotation"
)

func main() {
	var level slog.Level
	if v := strings.TrimSpace(os.Getenv("PORTICO_LOG_LEVEL")); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			fmt.Fprintf(os.Stderr, "key-rotation: configuration: PORTICO_LOG_LEVEL: %v\n", err)
			os.Exit(2)
		}
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("start key-rotation", "error", fmt.Errorf("load AWS config: %w", err).Error())
		os.Exit(1)
	}
	rot, err := rotation.New(rotation.Config{Client: secretsmanager.NewFromConfig(cfg), Log: log})
	if err != nil {
		log.Error("start key-rotation", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, ev events.SecretsManagerSecretRotationEvent) error {
		return rot.Rotate(ctx, rotation.Request{
			SecretID:      ev.SecretID,
			Token:         ev.ClientRequestToken,
			Step:          ev.Step,
			RotationToken: ev.RotationToken,
		})
	})
}
