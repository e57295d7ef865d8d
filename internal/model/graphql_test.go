package model_test

import (
	"testing"

	"github.com/portico/portico/internal/model"
)

func TestValidateGraphQL(t *testing.T) {
	base := func() model.GraphQLConfig {
		return model.GraphQLConfig{Query: `query Order($id: ID!, $first: Int) { order(id: $id) { lines(first: $first) { sku } } }`}
	}
	tests := []struct {
		name   string
		mutate func(*model.GraphQLConfig)
		want   []string
		detail string
	}{
		{"valid", func(*model.GraphQLConfig) {}, nil, ""},
		{"valid mapping and policies", func(g *model.GraphQLConfig) {
			g.Variables = map[string]model.GraphQLVariable{"id": {From: "/path/id"}, "first": {From: "/query/first", Type: "int"}, "input": {From: "/body"}}
			g.PartialData, g.ErrorStatus = model.PartialDataAllow, 424
		}, nil, ""},
		{"mutation", func(g *model.GraphQLConfig) { g.Query = `mutation { place { id } }` }, nil, ""},
		{"subscription", func(g *model.GraphQLConfig) { g.Query = `subscription { ticks }` }, []string{"/graphql/query"}, "not supported"},
		{"not executable", func(g *model.GraphQLConfig) { g.Query = `type Query { a: Int }` }, []string{"/graphql/query"}, "executable"},
		{"malformed", func(g *model.GraphQLConfig) { g.Query = `query { a` }, []string{"/graphql/query"}, "malformed"},
		{"several operations need a name", func(g *model.GraphQLConfig) { g.Query = `query A { a } query B { b }` }, []string{"/graphql/operationName"}, ""},
		{"unknown operation name", func(g *model.GraphQLConfig) { g.OperationName = "Nope" }, []string{"/graphql/operationName"}, ""},
		{"bad variable name", func(g *model.GraphQLConfig) {
			g.Variables = map[string]model.GraphQLVariable{"a-b": {From: "/path/id"}}
		}, []string{"/graphql/variables/a-b"}, "name"},
		{"bad pointer", func(g *model.GraphQLConfig) {
			g.Variables = map[string]model.GraphQLVariable{"id": {From: "/headers/x"}}
		}, []string{"/graphql/variables/id/from"}, "JSON pointer"},
		{"bad type", func(g *model.GraphQLConfig) {
			g.Variables = map[string]model.GraphQLVariable{"id": {From: "/path/id", Type: "date"}}
		}, []string{"/graphql/variables/id/type"}, ""},
		{"bad partial policy", func(g *model.GraphQLConfig) { g.PartialData = "maybe" }, []string{"/graphql/partialData"}, ""},
		{"bad error status", func(g *model.GraphQLConfig) { g.ErrorStatus = 200 }, []string{"/graphql/errorStatus"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validIntegration()
			g := base()
			tt.mutate(&g)
			in.Type, in.GraphQL = model.IntegrationGraphQL, &g
			check(t, model.ValidateIntegration(&in), tt.want, tt.detail)
		})
	}
}
