// Package awssm is the AWS Secrets Manager adapter of the secrets port:
// one Secrets Manager secret per tenant secret, named
// "<prefix><tenant>/<name>" (prefix "portico/<env>/tenants/"), tagged with
// its tenant, so IAM grants can be scoped to the prefix
// (docs/secrets.md).
package awssm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/portico/portico/internal/secrets"
)

// Client is the part of the Secrets Manager client the adapter uses.
type Client interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

// TagTenant is the tag carrying a secret's tenant.
const TagTenant = "portico:tenant"

// Config configures a Store.
type Config struct {
	// Prefix starts every secret name: "portico/<env>/tenants/". Required;
	// it must end with '/'.
	Prefix string
	// KMSKeyID encrypts new secrets; empty means the account's
	// aws/secretsmanager key.
	KMSKeyID string
	// Now stamps Put's metadata; nil means time.Now.
	Now func() time.Time
}

// Store keeps tenant secrets in Secrets Manager.
type Store struct {
	c   Client
	cfg Config
}

// New returns a Store.
func New(c Client, cfg Config) (*Store, error) {
	if c == nil {
		return nil, errors.New("awssm: a client is required")
	}
	if cfg.Prefix == "" || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("awssm: Config.Prefix %q must be set and end with '/'", cfg.Prefix)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{c: c, cfg: cfg}, nil
}

// SecretName is the Secrets Manager name of (tenant, name).
func (s *Store) SecretName(tenant, name string) string { return s.cfg.Prefix + tenant + "/" + name }

// Get reads the AWSCURRENT value.
func (s *Store) Get(ctx context.Context, tenant, name string) (string, error) {
	if err := secrets.CheckName(tenant, name); err != nil {
		return "", err
	}
	out, err := s.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretName(tenant, name))})
	if err != nil {
		return "", mapErr("read", name, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("read secret %q: it has no string value", name)
	}
	return *out.SecretString, nil
}

// Put stores a new AWSCURRENT version, creating the secret (tagged with
// the tenant) on first use.
func (s *Store) Put(ctx context.Context, tenant, name, value string) (secrets.Metadata, error) {
	if err := secrets.CheckName(tenant, name); err != nil {
		return secrets.Metadata{}, err
	}
	if err := secrets.CheckValue(value); err != nil {
		return secrets.Metadata{}, err
	}
	id := s.SecretName(tenant, name)
	for range 3 {
		out, err := s.c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(value)})
		if err == nil {
			return s.meta(name, out.VersionId), nil
		}
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			return secrets.Metadata{}, mapErr("write", name, err)
		}
		in := &secretsmanager.CreateSecretInput{
			Name:         aws.String(id),
			SecretString: aws.String(value),
			Description:  aws.String("Portico tenant secret"),
			Tags:         []types.Tag{{Key: aws.String(TagTenant), Value: aws.String(tenant)}},
		}
		if s.cfg.KMSKeyID != "" {
			in.KmsKeyId = aws.String(s.cfg.KMSKeyID)
		}
		cout, err := s.c.CreateSecret(ctx, in)
		if err == nil {
			return s.meta(name, cout.VersionId), nil
		}
		var ex *types.ResourceExistsException
		if !errors.As(err, &ex) {
			return secrets.Metadata{}, mapErr("create", name, err)
		}
		// Created by a concurrent Put meanwhile: put a version on it.
	}
	return secrets.Metadata{}, fmt.Errorf("write secret %q: created and deleted concurrently, retry", name)
}

func (s *Store) meta(name string, version *string) secrets.Metadata {
	return secrets.Metadata{Name: name, Version: aws.ToString(version), UpdatedAt: s.cfg.Now().UTC()}
}

// Delete deletes the secret at once (ForceDeleteWithoutRecovery): the
// management API refuses deleting a secret in use, and the audit trail
// records the deletion.
func (s *Store) Delete(ctx context.Context, tenant, name string) error {
	if err := secrets.CheckName(tenant, name); err != nil {
		return err
	}
	_, err := s.c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(s.SecretName(tenant, name)), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil {
		return mapErr("delete", name, err)
	}
	return nil
}

// List lists the tenant's secrets by name prefix. It needs
// secretsmanager:ListSecrets, which IAM cannot scope to a prefix; the
// management API lists from the catalog instead (docs/secrets.md).
func (s *Store) List(ctx context.Context, tenant string) ([]secrets.Metadata, error) {
	if err := secrets.CheckName(tenant, "x"); err != nil {
		return nil, err
	}
	prefix := s.cfg.Prefix + tenant + "/"
	in := &secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{prefix}}}}
	var out []secrets.Metadata
	for {
		page, err := s.c.ListSecrets(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list secrets: %w", err)
		}
		for _, e := range page.SecretList {
			name, ok := strings.CutPrefix(aws.ToString(e.Name), prefix)
			if !ok || strings.Contains(name, "/") {
				continue // the name filter matches prefixes of other tenants' ids too
			}
			m := secrets.Metadata{Name: name, UpdatedAt: aws.ToTime(e.LastChangedDate).UTC()}
			for v, stages := range e.SecretVersionsToStages {
				for _, st := range stages {
					if st == "AWSCURRENT" {
						m.Version = v
					}
				}
			}
			out = append(out, m)
		}
		if aws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	slices.SortFunc(out, func(a, b secrets.Metadata) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// mapErr turns "no such secret" (and a secret scheduled for deletion) into
// secrets.ErrNotFound and wraps the rest.
func mapErr(what, name string, err error) error {
	var nf *types.ResourceNotFoundException
	var ir *types.InvalidRequestException
	if errors.As(err, &nf) || (errors.As(err, &ir) && strings.Contains(strings.ToLower(ir.ErrorMessage()), "deletion")) {
		return fmt.Errorf("secret %q: %w", name, secrets.ErrNotFound)
	}
	return fmt.Errorf("%s secret %q: %w", what, name, err)
}

var _ secrets.Store = (*Store)(nil)
