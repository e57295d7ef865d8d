// Package webhooklambda is the event handler of the webhook-dispatcher
// Lambda function. Two sources invoke it: DynamoDB Streams records of new
// outbox items (filtered on the outbox partition prefix by the event
// source mapping), which it dispatches at once for a prompt first
// delivery, and an EventBridge schedule (rate(1 minute)), on which it
// drains every message due (retries, and anything a stream invocation
// missed). The outbox in the table is the source of truth: a stream
// record that fails is logged and left to the schedule rather than
// retried by Lambda, so one bad record never blocks a shard.
package webhooklambda
