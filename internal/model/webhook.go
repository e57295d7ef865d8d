package model

import (
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// Webhook event types Portico emits.
const (
	// EventConfigChanged: a configuration change was committed (its audit
	// entry, without before/after, is the data).
	EventConfigChanged = "config.changed"
	// EventWebhookTest: sent on demand to check a subscription.
	EventWebhookTest = "webhook.test"
	// EventAll subscribes to every event type.
	EventAll = "*"
)

var eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// WebhookSubscription is a tenant URL that receives signed events
// (Standard Webhooks). Its signing secret is kept apart and shown once.
type WebhookSubscription struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
	Disabled    bool     `json:"disabled,omitempty"`
	// PreviousSecretExpiresAt is set by a secret rotation: until then
	// deliveries carry a signature with the previous secret too.
	PreviousSecretExpiresAt *time.Time `json:"previousSecretExpiresAt,omitempty"`
	Meta
}

// Wants reports whether s receives events of type typ.
func (s *WebhookSubscription) Wants(typ string) bool {
	if s.Disabled {
		return false
	}
	for _, e := range s.Events {
		if e == EventAll || e == typ {
			return true
		}
	}
	return false
}

// ValidateWebhookSubscription checks a subscription; the SSRF guard
// checks its URL separately.
func ValidateWebhookSubscription(s *WebhookSubscription) Errors {
	var e Errors
	switch u, err := url.Parse(s.URL); {
	case s.URL == "":
		e.Add("/url", "is required")
	case err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		e.Add("/url", "must be an absolute http or https URL")
	case u.User != nil:
		e.Add("/url", "must not embed credentials")
	case u.Fragment != "" || len(s.URL) > 2048:
		e.Add("/url", "must have no fragment and be at most 2048 characters")
	}
	switch {
	case len(s.Events) == 0:
		e.Add("/events", "must list at least one event type (or \"*\")")
	case len(s.Events) > MaxListLen:
		e.Add("/events", "must have at most %d entries", MaxListLen)
	}
	for i, ev := range s.Events {
		if ev != EventAll && (len(ev) > 100 || !eventTypeRE.MatchString(ev)) {
			e.Add("/events/"+strconv.Itoa(i), "must be \"*\" or a dotted event type such as config.changed")
		}
	}
	e.description("/description", s.Description)
	return e
}
