package rotationtest

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// The operations below serve the tenant secrets adapter (secrets/awssm):
// creating, deleting and listing secrets. Create is the API's CreateSecret
// (the name CreateSecret is the fake's setup helper).

// Create is the CreateSecret operation: a new secret with a first version
// (AWSCURRENT) holding SecretString, tagged with Tags. An existing name is
// ResourceExistsException.
func (f *Fake) Create(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	if err := f.begin("CreateSecret", in, in.Name, in.ClientRequestToken); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.Name)
	if name == "" || in.SecretString == nil {
		return nil, invalidParameter("Name and SecretString are required.")
	}
	if f.secrets[name] != nil {
		return nil, &types.ResourceExistsException{Message: aws.String("The operation failed because the secret " + name + " already exists.")}
	}
	id := aws.ToString(in.ClientRequestToken)
	if id == "" {
		id = f.newID()
	}
	s := &secret{arn: ARNPrefix + name + "-AbCdEf", name: name, versions: map[string]*version{}, tags: in.Tags}
	s.versions[id] = &version{value: aws.String(*in.SecretString), stages: []string{current}, created: f.now()}
	f.secrets[name] = s
	return &secretsmanager.CreateSecretOutput{ARN: aws.String(s.arn), Name: aws.String(name), VersionId: aws.String(id)}, nil
}

// DeleteSecret deletes a secret. Only ForceDeleteWithoutRecovery is
// modelled (the secret is gone at once); without it the call is refused.
func (f *Fake) DeleteSecret(_ context.Context, in *secretsmanager.DeleteSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error) {
	if err := f.begin("DeleteSecret", in, in.SecretId, nil); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	s, err := f.find(aws.ToString(in.SecretId))
	if err != nil {
		return nil, err
	}
	if !aws.ToBool(in.ForceDeleteWithoutRecovery) {
		return nil, invalidParameter("rotationtest models ForceDeleteWithoutRecovery only.")
	}
	delete(f.secrets, s.name)
	return &secretsmanager.DeleteSecretOutput{ARN: aws.String(s.arn), Name: aws.String(s.name), DeletionDate: aws.Time(f.now())}, nil
}

// ListSecrets lists secrets by name, honouring "name" filters (prefix
// match, as the service does), MaxResults (default 100) and NextToken.
func (f *Fake) ListSecrets(_ context.Context, in *secretsmanager.ListSecretsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	if err := f.begin("ListSecrets", in, nil, nil); err != nil {
		return nil, err
	}
	defer f.mu.Unlock()
	var prefixes []string
	for _, flt := range in.Filters {
		if flt.Key != types.FilterNameStringTypeName {
			return nil, invalidParameter("rotationtest models the name filter only.")
		}
		prefixes = append(prefixes, flt.Values...)
	}
	var names []string
	for n := range f.secrets {
		if len(prefixes) == 0 || anyPrefix(n, prefixes) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	start := aws.ToString(in.NextToken)
	limit := int(aws.ToInt32(in.MaxResults))
	if limit <= 0 {
		limit = 100
	}
	out := &secretsmanager.ListSecretsOutput{}
	for _, n := range names {
		if n <= start {
			continue
		}
		if len(out.SecretList) == limit {
			out.NextToken = aws.String(*out.SecretList[limit-1].Name)
			break
		}
		s := f.secrets[n]
		var last time.Time
		for _, v := range s.versions {
			if v.created.After(last) {
				last = v.created
			}
		}
		out.SecretList = append(out.SecretList, types.SecretListEntry{
			ARN: aws.String(s.arn), Name: aws.String(n), Tags: s.tags,
			LastChangedDate: aws.Time(last), SecretVersionsToStages: s.staged(),
		})
	}
	return out, nil
}

func anyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// Tags returns a secret's tags.
func (f *Fake) Tags(id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for _, t := range f.mustFind(id).tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// Wire shapes of the operations above (Secrets Manager API reference).
type (
	createSecretRequest struct {
		Name               string
		ClientRequestToken string
		SecretString       *string
		Description        string
		KmsKeyId           string
		Tags               []wireTag
	}
	createSecretResponse struct {
		ARN, Name, VersionId string
	}
	deleteSecretRequest struct {
		SecretId                   string
		ForceDeleteWithoutRecovery bool
		RecoveryWindowInDays       int64
	}
	deleteSecretResponse struct {
		ARN, Name    string
		DeletionDate float64
	}
	wireFilter struct {
		Key    string
		Values []string
	}
	listSecretsRequest struct {
		Filters                []wireFilter
		MaxResults             int32
		NextToken              string
		IncludePlannedDeletion bool
		SortOrder              string
	}
	wireSecretEntry struct {
		ARN                    string
		Name                   string
		LastChangedDate        float64
		Tags                   []wireTag `json:",omitempty"`
		SecretVersionsToStages map[string][]string
	}
	listSecretsResponse struct {
		SecretList []wireSecretEntry
		NextToken  string `json:",omitempty"`
	}
)

// serveManage serves the operations above; ok is false for other ones.
func serveManage(ctx context.Context, f *Fake, op string, dec *json.Decoder) (out any, ok bool, err error) {
	switch op {
	case "CreateSecret":
		var in createSecretRequest
		if err := dec.Decode(&in); err != nil {
			return nil, true, err
		}
		sin := &secretsmanager.CreateSecretInput{Name: aws.String(in.Name), ClientRequestToken: optional(in.ClientRequestToken),
			SecretString: in.SecretString, KmsKeyId: optional(in.KmsKeyId), Description: optional(in.Description)}
		for _, t := range in.Tags {
			sin.Tags = append(sin.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
		}
		res, err := f.Create(ctx, sin)
		if err != nil {
			return nil, true, err
		}
		return createSecretResponse{ARN: *res.ARN, Name: *res.Name, VersionId: *res.VersionId}, true, nil
	case "DeleteSecret":
		var in deleteSecretRequest
		if err := dec.Decode(&in); err != nil {
			return nil, true, err
		}
		res, err := f.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(in.SecretId), ForceDeleteWithoutRecovery: aws.Bool(in.ForceDeleteWithoutRecovery)})
		if err != nil {
			return nil, true, err
		}
		return deleteSecretResponse{ARN: *res.ARN, Name: *res.Name, DeletionDate: epoch(*res.DeletionDate)}, true, nil
	case "ListSecrets":
		var in listSecretsRequest
		if err := dec.Decode(&in); err != nil {
			return nil, true, err
		}
		lin := &secretsmanager.ListSecretsInput{NextToken: optional(in.NextToken)}
		if in.MaxResults > 0 {
			lin.MaxResults = aws.Int32(in.MaxResults)
		}
		for _, flt := range in.Filters {
			lin.Filters = append(lin.Filters, types.Filter{Key: types.FilterNameStringType(flt.Key), Values: flt.Values})
		}
		res, err := f.ListSecrets(ctx, lin)
		if err != nil {
			return nil, true, err
		}
		resp := listSecretsResponse{NextToken: aws.ToString(res.NextToken)}
		for _, e := range res.SecretList {
			we := wireSecretEntry{ARN: *e.ARN, Name: *e.Name, LastChangedDate: epoch(*e.LastChangedDate), SecretVersionsToStages: e.SecretVersionsToStages}
			for _, t := range e.Tags {
				we.Tags = append(we.Tags, wireTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
			}
			resp.SecretList = append(resp.SecretList, we)
		}
		return resp, true, nil
	}
	return nil, false, nil
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / float64(time.Second) }
