package rotationtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// The wire shapes below are written from the Secrets Manager API reference
// (request and response syntax), not derived from the SDK's types, so a
// test through Handler checks that the SDK client and rotation agree with
// the documented protocol.

type (
	secretIDRequest struct {
		SecretId string
	}
	getSecretValueRequest struct {
		SecretId     string
		VersionId    string `json:",omitempty"`
		VersionStage string `json:",omitempty"`
	}
	putSecretValueRequest struct {
		SecretId           string
		ClientRequestToken string
		SecretString       *string
		VersionStages      []string
		RotationToken      string
	}
	updateSecretVersionStageRequest struct {
		SecretId            string
		VersionStage        string
		MoveToVersionId     string
		RemoveFromVersionId string
	}
	getRandomPasswordRequest struct {
		PasswordLength          *int64
		ExcludeCharacters       *string
		ExcludeLowercase        *bool
		ExcludeUppercase        *bool
		ExcludeNumbers          *bool
		ExcludePunctuation      *bool
		IncludeSpace            *bool
		RequireEachIncludedType *bool
	}
	wireTag struct {
		Key, Value string
	}
	describeSecretResponse struct {
		ARN                string
		Name               string
		RotationEnabled    bool
		Tags               []wireTag `json:",omitempty"`
		VersionIdsToStages map[string][]string
	}
	getSecretValueResponse struct {
		ARN           string
		Name          string
		VersionId     string
		SecretString  string
		VersionStages []string
		CreatedDate   float64 // epoch seconds, as the JSON protocols encode timestamps
	}
	putSecretValueResponse struct {
		ARN           string
		Name          string
		VersionId     string
		VersionStages []string
	}
	arnNameResponse struct {
		ARN  string
		Name string
	}
	getRandomPasswordResponse struct {
		RandomPassword string
	}
)

// Handler serves f over Secrets Manager's JSON 1.1 protocol: POST with
// X-Amz-Target "secretsmanager.<Operation>" and a JSON body; errors are
// HTTP 400 with {"__type": code, "message": ...}. The operations of
// rotation.SecretsManager are served, and CreateSecret, DeleteSecret and
// ListSecrets (manage.go); others are UnknownOperationException.
func Handler(f *Fake) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "secretsmanager.")
		if r.Method != http.MethodPost || !ok {
			writeError(w, http.StatusBadRequest, "UnknownOperationException", "POST with X-Amz-Target: secretsmanager.<Operation>")
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			writeError(w, http.StatusBadRequest, "SerializationException", "Content-Type "+ct+": want application/x-amz-json-1.1")
			return
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		out, err := serve(r.Context(), f, op, dec)
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) || (err != nil && strings.HasPrefix(err.Error(), "json: unknown field")) {
			writeError(w, http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		if err != nil {
			var api smithy.APIError
			if errors.As(err, &api) {
				writeError(w, http.StatusBadRequest, api.ErrorCode(), api.ErrorMessage())
				return
			}
			writeError(w, http.StatusInternalServerError, "InternalServiceError", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func serve(ctx context.Context, f *Fake, op string, dec *json.Decoder) (any, error) {
	switch op {
	case "DescribeSecret":
		var in secretIDRequest
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		out, err := f.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(in.SecretId)})
		if err != nil {
			return nil, err
		}
		resp := describeSecretResponse{ARN: *out.ARN, Name: *out.Name, RotationEnabled: aws.ToBool(out.RotationEnabled), VersionIdsToStages: out.VersionIdsToStages}
		for _, t := range out.Tags {
			resp.Tags = append(resp.Tags, wireTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		return resp, nil
	case "GetSecretValue":
		var in getSecretValueRequest
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		out, err := f.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(in.SecretId), VersionId: optional(in.VersionId), VersionStage: optional(in.VersionStage)})
		if err != nil {
			return nil, err
		}
		return getSecretValueResponse{
			ARN: *out.ARN, Name: *out.Name, VersionId: *out.VersionId, SecretString: *out.SecretString, VersionStages: out.VersionStages,
			CreatedDate: float64(out.CreatedDate.UnixNano()) / float64(time.Second),
		}, nil
	case "PutSecretValue":
		var in putSecretValueRequest
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		out, err := f.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(in.SecretId), ClientRequestToken: optional(in.ClientRequestToken), SecretString: in.SecretString,
			VersionStages: in.VersionStages, RotationToken: optional(in.RotationToken),
		})
		if err != nil {
			return nil, err
		}
		return putSecretValueResponse{ARN: *out.ARN, Name: *out.Name, VersionId: *out.VersionId, VersionStages: out.VersionStages}, nil
	case "UpdateSecretVersionStage":
		var in updateSecretVersionStageRequest
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		out, err := f.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: aws.String(in.SecretId), VersionStage: optional(in.VersionStage),
			MoveToVersionId: optional(in.MoveToVersionId), RemoveFromVersionId: optional(in.RemoveFromVersionId),
		})
		if err != nil {
			return nil, err
		}
		return arnNameResponse{ARN: *out.ARN, Name: *out.Name}, nil
	case "GetRandomPassword":
		var in getRandomPasswordRequest
		if err := dec.Decode(&in); err != nil {
			return nil, err
		}
		out, err := f.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{
			PasswordLength: in.PasswordLength, ExcludeCharacters: in.ExcludeCharacters, ExcludeLowercase: in.ExcludeLowercase,
			ExcludeUppercase: in.ExcludeUppercase, ExcludeNumbers: in.ExcludeNumbers, ExcludePunctuation: in.ExcludePunctuation,
			IncludeSpace: in.IncludeSpace, RequireEachIncludedType: in.RequireEachIncludedType,
		})
		if err != nil {
			return nil, err
		}
		return getRandomPasswordResponse{RandomPassword: *out.RandomPassword}, nil
	}
	if out, ok, err := serveManage(ctx, f, op, dec); ok {
		return out, err
	}
	return nil, &smithy.GenericAPIError{Code: "UnknownOperationException", Message: "operation " + op + " is not served by rotationtest"}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
