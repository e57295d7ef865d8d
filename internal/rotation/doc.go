// Package rotation rotates Portico's platform-managed secrets: it is the
// Secrets Manager rotation contract (createSecret, setSecret, testSecret,
// finishSecret) for secrets whose value is a random key Portico itself
// generates, such as portico/<env>/cursor-key.
//
// It is the Secrets Manager adapter for rotation: it consumes a small part
// of the SDK client (SecretsManager) and nothing else. Each step is
// idempotent, because Secrets Manager retries failed steps and may invoke a
// step again after it succeeded. rotationtest holds an in-memory fake of the
// consumed interface with Secrets Manager's staging-label semantics, and an
// http.Handler serving it over the service's JSON 1.1 wire protocol.
//
// docs/key-rotation.md describes the steps, the key tags and the reasons.
package rotation
