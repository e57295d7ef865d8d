package graphql

import (
	"errors"
	"fmt"
)

// OpType is the type of a GraphQL operation.
type OpType string

// Operation types.
const (
	Query        OpType = "query"
	Mutation     OpType = "mutation"
	Subscription OpType = "subscription"
)

// Errors of Operation; each is wrapped with where it was found.
var (
	// ErrSyntax means the document is not lexically well formed
	// (unbalanced braces, an unterminated string, a stray token).
	ErrSyntax = errors.New("graphql: malformed document")
	// ErrNoOperation means the document defines no operation.
	ErrNoOperation = errors.New("graphql: no operation in document")
	// ErrAmbiguous means the document has several operations and no
	// operation name was given, or an anonymous operation among others.
	ErrAmbiguous = errors.New("graphql: operation name required")
	// ErrUnknownOperation means no operation has the given name.
	ErrUnknownOperation = errors.New("graphql: no operation with that name")
	// ErrNotExecutable means the document holds type system definitions.
	ErrNotExecutable = errors.New("graphql: only operations and fragments are allowed")
)

// Operation returns the type of the operation of doc that a request with
// operation name name would execute (GraphQL spec, GetOperation). It
// scans the document's top level only: it does not validate selections
// against a schema, which is the upstream's job.
func Operation(doc, name string) (OpType, error) {
	ops, err := operations(doc)
	if err != nil {
		return "", err
	}
	switch {
	case len(ops) == 0:
		return "", ErrNoOperation
	case name == "" && len(ops) > 1:
		return "", ErrAmbiguous
	case name == "":
		return ops[0].typ, nil
	}
	for _, op := range ops {
		if op.name == name {
			return op.typ, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownOperation, name)
}

type operation struct {
	typ  OpType
	name string
}

// operations lists the operations defined at the top level of doc.
func operations(doc string) ([]operation, error) {
	var (
		ops      []operation
		braces   int  // { } depth
		parens   int  // ( ) and [ ] depth
		inDef    bool // a definition has started at the top level
		isOp     bool // ... and it is an operation
		named    bool // its name has been read (or can no longer come)
		skipName bool // the next name is a directive's
	)
	anonymous := false
	i := 0
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == 0xEF && i+2 < len(doc) && doc[i+1] == 0xBB && doc[i+2] == 0xBF: // BOM
			i += 3
		case c == '#':
			for i < len(doc) && doc[i] != '\n' && doc[i] != '\r' {
				i++
			}
		case c == '"':
			n, err := skipString(doc, i)
			if err != nil {
				return nil, err
			}
			i = n
		case c == '{':
			if braces == 0 && parens == 0 {
				if !inDef { // shorthand query: { field }
					inDef, isOp = true, true
					ops = append(ops, operation{typ: Query})
					anonymous = true
				}
				named = true
			}
			braces++
			i++
		case c == '}':
			braces--
			if braces < 0 {
				return nil, fmt.Errorf("%w: unbalanced '}' at byte %d", ErrSyntax, i)
			}
			if braces == 0 && parens == 0 {
				inDef, isOp, named, skipName = false, false, false, false
			}
			i++
		case c == '(' || c == '[':
			parens++
			i++
		case c == ')' || c == ']':
			parens--
			if parens < 0 {
				return nil, fmt.Errorf("%w: unbalanced %q at byte %d", ErrSyntax, c, i)
			}
			if braces == 0 && parens == 0 {
				named = true // variables come after the name
			}
			i++
		case c == '@':
			if braces == 0 && parens == 0 {
				skipName = true
				named = true
			}
			i++
		case isNameStart(c):
			j := i + 1
			for j < len(doc) && isNameChar(doc[j]) {
				j++
			}
			word := doc[i:j]
			i = j
			if braces != 0 || parens != 0 {
				continue
			}
			switch {
			case !inDef:
				switch word {
				case "query", "mutation", "subscription":
					inDef, isOp, named = true, true, false
					ops = append(ops, operation{typ: OpType(word)})
				case "fragment":
					inDef, isOp, named = true, false, true
				default:
					return nil, fmt.Errorf("%w: %q at the top level", ErrNotExecutable, word)
				}
			case skipName:
				skipName = false
			case isOp && !named:
				ops[len(ops)-1].name = word
				named = true
			case isOp:
				return nil, fmt.Errorf("%w: unexpected %q before the selection set", ErrSyntax, word)
			}
		case c == '$' || c == ':' || c == '=' || c == '!' || c == '&' || c == '|' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
			if braces == 0 && parens == 0 {
				return nil, fmt.Errorf("%w: unexpected %q at the top level", ErrSyntax, c)
			}
			i++
		default:
			if c < 0x20 && c != '\t' {
				return nil, fmt.Errorf("%w: control character at byte %d", ErrSyntax, i)
			}
			i++
		}
	}
	if braces != 0 || parens != 0 || inDef {
		return nil, fmt.Errorf("%w: unexpected end of document", ErrSyntax)
	}
	if anonymous && len(ops) > 1 {
		return nil, fmt.Errorf("%w: an anonymous operation must be the only one", ErrAmbiguous)
	}
	return ops, nil
}

// skipString returns the index after the string starting at doc[i].
func skipString(doc string, i int) (int, error) {
	if len(doc)-i >= 3 && doc[i:i+3] == `"""` {
		for j := i + 3; j+2 < len(doc); j++ {
			if doc[j] == '\\' && len(doc)-j >= 4 && doc[j+1:j+4] == `"""` {
				j += 3
				continue
			}
			if doc[j:j+3] == `"""` {
				return j + 3, nil
			}
		}
		return 0, fmt.Errorf("%w: unterminated block string", ErrSyntax)
	}
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		case '\n', '\r':
			return 0, fmt.Errorf("%w: line break in a string", ErrSyntax)
		}
	}
	return 0, fmt.Errorf("%w: unterminated string", ErrSyntax)
}

func isNameStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || '0' <= c && c <= '9' }

// ValidName reports whether s is a GraphQL name (/[_A-Za-z][_0-9A-Za-z]*/).
func ValidName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}
