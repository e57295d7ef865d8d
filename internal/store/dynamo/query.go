package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/store"
)

// Query returns live items of q.PK whose SK starts with q.SKPrefix.
func (s *Store) Query(ctx context.Context, q store.Query) (store.Page, error) {
	p, err := s.query(ctx, q, false)
	if err != nil {
		return store.Page{}, fmt.Errorf("dynamo: query %q: %w", q.PK, err)
	}
	return p, nil
}

// QueryIndex returns live items whose GSI1PK is q.PK and whose GSI1SK starts
// with q.SKPrefix.
func (s *Store) QueryIndex(ctx context.Context, q store.IndexQuery) (store.Page, error) {
	p, err := s.query(ctx, q, true)
	if err != nil {
		return store.Page{}, fmt.Errorf("dynamo: query index %q: %w", q.PK, err)
	}
	return p, nil
}

// query reads until it holds limit+1 live items (or the partition ends), so
// that it can tell whether this page is the last; the cursor it returns
// names the page's last item, not DynamoDB's LastEvaluatedKey.
func (s *Store) query(ctx context.Context, q store.Query, onIndex bool) (store.Page, error) {
	limit, err := q.PageLimit()
	if err != nil {
		return store.Page{}, err
	}
	var start map[string]types.AttributeValue
	if q.Cursor != "" {
		if start, err = decodeCursor(q.Cursor, onIndex, q.PK, q.SKPrefix); err != nil {
			return store.Page{}, err
		}
	}

	now := s.now().Unix()
	in := &dynamodb.QueryInput{
		TableName:        &s.table,
		ScanIndexForward: aws.Bool(!q.Reverse),
		FilterExpression: aws.String("attribute_not_exists(#ttl) OR #ttl > :now"),
		ExpressionAttributeNames: map[string]string{
			"#pk": attrPK, "#sk": attrSK, "#ttl": attrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(q.PK), ":now": number(now),
		},
	}
	if onIndex {
		in.IndexName = aws.String(indexGSI1)
		in.ExpressionAttributeNames["#pk"] = attrGSI1PK
		in.ExpressionAttributeNames["#sk"] = attrGSI1SK
	} else {
		in.ConsistentRead = aws.Bool(true)
	}
	if q.SKPrefix == "" {
		in.KeyConditionExpression = aws.String("#pk = :pk")
		delete(in.ExpressionAttributeNames, "#sk")
	} else {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :prefix)")
		in.ExpressionAttributeValues[":prefix"] = str(q.SKPrefix)
	}

	var items []store.Item
	for {
		in.ExclusiveStartKey = start
		in.Limit = aws.Int32(int32(limit + 1 - len(items)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return store.Page{}, err
		}
		for _, raw := range out.Items {
			it, err := decodeItem(raw)
			if err != nil {
				return store.Page{}, err
			}
			if !expired(it, now) {
				items = append(items, it)
			}
		}
		if len(items) > limit || len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if len(items) <= limit {
		return store.Page{Items: items}, nil
	}
	items = items[:limit]
	return store.Page{Items: items, Cursor: encodeCursor(items[limit-1], onIndex)}, nil
}

// A cursor is the unpadded base64url JSON object of the string key
// attributes of the last item returned: PK and SK, plus GSI1PK and GSI1SK
// for index queries (DynamoDB's ExclusiveStartKey).
func encodeCursor(it store.Item, onIndex bool) string {
	m := map[string]string{attrPK: it.PK, attrSK: it.SK}
	if onIndex {
		m[attrGSI1PK], m[attrGSI1SK] = it.GSI1PK, it.GSI1SK
	}
	b, err := json.Marshal(m)
	if err != nil { // unreachable: a map of strings always marshals
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor returns the ExclusiveStartKey a cursor stands for, checking
// that it has the key attributes of the table or the index and lies within
// the query's partition and prefix (DynamoDB rejects a start key outside
// them).
func decodeCursor(cur string, onIndex bool, pk, prefix string) (map[string]types.AttributeValue, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil {
		return nil, store.ErrInvalidCursor
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, store.ErrInvalidCursor
	}
	want := 2
	partition, sort := attrPK, attrSK
	if onIndex {
		want = 4
		partition, sort = attrGSI1PK, attrGSI1SK
	}
	if len(m) != want {
		return nil, store.ErrInvalidCursor
	}
	it := store.Item{PK: m[attrPK], SK: m[attrSK], GSI1PK: m[attrGSI1PK], GSI1SK: m[attrGSI1SK]}
	if it.Validate() != nil || m[partition] != pk || !strings.HasPrefix(m[sort], prefix) {
		return nil, store.ErrInvalidCursor
	}
	key := make(map[string]types.AttributeValue, len(m))
	for name, v := range m {
		key[name] = str(v)
	}
	return key, nil
}
