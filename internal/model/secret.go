package model

// Secret is what the configuration knows of a tenant secret: its name and
// bookkeeping, never its value (which lives in the secrets store, written
// through PUT /admin/v1/secrets/{name} and read only by the gateway).
type Secret struct {
	Name string `json:"name"`
	Meta
}
