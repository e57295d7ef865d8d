package main

import (
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/portico/portico/internal/workflow"
)

func TestLambdaErrorKeepsTheName(t *testing.T) {
	var ie messages.InvokeResponse_Error
	if err := lambdaError(&workflow.Error{Name: "Portico.UpstreamUnavailable", Cause: "c"}); !errors.As(err, &ie) || ie.Type != "Portico.UpstreamUnavailable" || ie.Message != "c" {
		t.Errorf("err = %#v", err)
	}
	if err := lambdaError(errors.New("internal")); !errors.As(err, &ie) || ie.Type != workflow.ErrorStepFailed || ie.Message == "internal" {
		t.Errorf("err = %#v", err)
	}
	if lambdaError(nil) != nil {
		t.Error("nil error became non-nil")
	}
}
