package model

import (
	"errors"
	"sort"

	"github.com/portico/portico/internal/integration/graphql"
)

// GraphQLVariable takes one GraphQL variable from the request: From is a
// JSON pointer into {"path": {...}, "query": {...}, "body": <JSON body>}
// ("/path/id", "/query/limit", "/body/order/lines"); Type converts it
// ("string", "int", "float", "boolean"; "" keeps path and query values as
// strings and body values as sent).
type GraphQLVariable struct {
	From string `json:"from"`
	Type string `json:"type,omitempty"`
}

// GraphQL partial-data policies.
const (
	PartialDataFail  = "fail"
	PartialDataAllow = "allow"
)

// MaxGraphQLVariables bounds GraphQLConfig.Variables.
const MaxGraphQLVariables = 50

// validateGraphQL checks a GraphQL config whose query is present and not
// too long: the document has an executable operation for the name (and
// no subscription: there is no stream to answer with), the variables
// mapping compiles, the policies are known.
func validateGraphQL(e *Errors, g *GraphQLConfig) {
	switch op, err := graphql.Operation(g.Query, g.OperationName); {
	case errors.Is(err, graphql.ErrUnknownOperation) || (errors.Is(err, graphql.ErrAmbiguous) && g.OperationName == ""):
		e.Add("/graphql/operationName", "must name one operation of the query document")
	case err != nil:
		e.Add("/graphql/query", "is not an executable GraphQL document: %s", err.Error())
	case op == graphql.Subscription:
		e.Add("/graphql/query", "subscriptions are not supported; use a query or a mutation")
	}
	if len(g.Variables) > MaxGraphQLVariables {
		e.Add("/graphql/variables", "must have at most %d entries", MaxGraphQLVariables)
	}
	names := make([]string, 0, len(g.Variables))
	for k := range g.Variables {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := g.Variables[k]
		if _, err := graphql.ParseVar(k, v.From, v.Type); err != nil {
			ptr := "/graphql/variables/" + escapePointer(k)
			switch {
			case !graphql.ValidName(k):
				e.Add(ptr, "is not a GraphQL variable name")
			case v.Type != "" && v.Type != graphql.KindString && v.Type != graphql.KindInt && v.Type != graphql.KindFloat && v.Type != graphql.KindBoolean:
				e.Add(ptr+"/type", "must be one of string, int, float, boolean")
			default:
				e.Add(ptr+"/from", "must be a JSON pointer: /path/{param}, /query/{name} or /body[/...]")
			}
		}
	}
	switch g.PartialData {
	case "", PartialDataFail, PartialDataAllow:
	default:
		e.Add("/graphql/partialData", "must be fail or allow")
	}
	if g.ErrorStatus != 0 && (g.ErrorStatus < 400 || g.ErrorStatus > 599) {
		e.Add("/graphql/errorStatus", "must be an HTTP status between 400 and 599")
	}
}
