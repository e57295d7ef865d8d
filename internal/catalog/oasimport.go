package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// EndpointSchemas are the validation transforms an OpenAPI import sets on
// one endpoint: declarative transform documents, nil for a side the
// document does not describe (which removes a previous import's).
type EndpointSchemas struct {
	Endpoint string
	Request  json.RawMessage
	Response json.RawMessage
	// Source names the operation, for the transforms' descriptions
	// ("/paths/~1orders~1{id}/get").
	Source string
}

// ImportSlug is the slug of the transform an OpenAPI import keeps for an
// endpoint's side ("req" or "res"): oas-<endpoint id>-<side>, or a hash of
// the endpoint's key when that is not a valid slug.
func ImportSlug(api, ver, endpoint, side string) string {
	s := "oas-" + endpoint + "-" + side
	if model.ValidSlug(s) {
		return s
	}
	sum := sha256.Sum256([]byte(api + "#" + ver + "#" + endpoint))
	return "oas-" + hex.EncodeToString(sum[:8]) + "-" + side
}

// ImportEndpointSchemas sets the endpoint's imported validation: the
// request transform runs first among its request transforms, the response
// transform last among its response transforms (it checks what the
// caller gets). Transforms and endpoint change in one audited commit
// ("import-openapi"); importing again replaces them.
func (c *Catalog) ImportEndpointSchemas(ctx context.Context, tenant string, actor Actor, api, ver string, s EndpointSchemas) (*model.Endpoint, error) {
	sides := []struct {
		slug, what string
		doc        json.RawMessage
		request    bool
	}{
		{ImportSlug(api, ver, s.Endpoint, "req"), "request", s.Request, true},
		{ImportSlug(api, ver, s.Endpoint, "res"), "response", s.Response, false},
	}
	prepared := make([]*model.Transform, len(sides))
	for i, side := range sides {
		if side.doc == nil {
			continue
		}
		t := &model.Transform{Slug: side.slug, Name: "OpenAPI " + side.what + " validation", Type: model.TransformDeclarative, Document: side.doc,
			Description: "Imported from the OpenAPI operation " + s.Source + "; importing again replaces it."}
		if err := prepareTransform(ctx, t); err != nil {
			return nil, fmt.Errorf("imported %s transform: %w", side.what, err)
		}
		prepared[i] = t
	}
	sk := endpointSK(api, ver, s.Endpoint)
	res, err := c.commit(ctx, tenant, actor, func(ctx context.Context) (change, error) {
		old, err := getItem[model.Endpoint](ctx, c.st, tenant, sk)
		if err != nil {
			return change{}, err
		}
		ep := *old
		ep.Policies.RequestTransforms = slices.Clone(old.Policies.RequestTransforms)
		ep.Policies.ResponseTransforms = slices.Clone(old.Policies.ResponseTransforms)
		var ops []store.WriteOp
		for i, side := range sides {
			refs := &ep.Policies.ResponseTransforms
			if side.request {
				refs = &ep.Policies.RequestTransforms
			}
			*refs = slices.DeleteFunc(*refs, func(r model.TransformRef) bool { return r.Transform == side.slug })
			prev, err := getItem[model.Transform](ctx, c.st, tenant, pfxTransform+side.slug)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return change{}, err
			}
			if t := prepared[i]; t != nil {
				nt := *t
				cond := store.IfAbsent()
				if prev != nil {
					nt.Meta = prev.Meta
					nt.Revision = prev.Revision + 1
					nt.UpdatedAt, nt.UpdatedBy = c.now().UTC(), actor.Subject
					cond = store.IfVersion(prev.Revision)
				} else {
					nt.Meta = c.stamp()
					nt.Revision = 1
					nt.CreatedBy, nt.UpdatedBy = actor.Subject, actor.Subject
				}
				op, err := putOp(tenant, pfxTransform+nt.Slug, &nt, &nt.Meta, cond)
				if err != nil {
					return change{}, err
				}
				ops = append(ops, op)
				ref := model.TransformRef{Transform: nt.Slug}
				if side.request {
					*refs = append([]model.TransformRef{ref}, *refs...)
				} else {
					*refs = append(*refs, ref)
				}
				continue
			}
			if prev == nil {
				continue
			}
			// The document no longer describes this side: drop the
			// previous import's transform unless another endpoint uses it.
			eps, err := listAll[model.Endpoint](ctx, c.st, tenant, pfxEP)
			if err != nil {
				return change{}, err
			}
			used := false
			for _, e := range eps {
				if !(e.API == api && e.Version == ver && e.ID == s.Endpoint) && usesTransform(&e, side.slug) {
					used = true
				}
			}
			if !used {
				ops = append(ops, store.WriteOp{Delete: &store.Key{PK: TenantPK(tenant), SK: pfxTransform + side.slug}, Cond: store.IfVersion(prev.Revision)})
			}
		}
		if p := model.ValidateEndpoint(&ep).Problem(); p != nil {
			return change{}, p
		}
		ep.Revision = old.Revision + 1
		ep.UpdatedAt, ep.UpdatedBy = c.now().UTC(), actor.Subject
		op, err := putOp(tenant, sk, &ep, &ep.Meta, store.IfVersion(old.Revision))
		if err != nil {
			return change{}, err
		}
		ops = append(ops, op)
		return change{ops: ops, result: &ep, audit: model.AuditEntry{Action: "import-openapi", ResourceType: "endpoint", Resource: endpointResource(&ep),
			Before: rawJSON(old), After: rawJSON(&ep)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*model.Endpoint), nil
}
