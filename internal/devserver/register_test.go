package devserver

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
)

// cloudClient is a client of a real server whose operator service answers
// as Temporal Cloud's data plane does to a namespace's API key: listing and
// adding search attributes is not allowed there.
type cloudClient struct{ client.Client }

func (c cloudClient) OperatorService() operatorservice.OperatorServiceClient {
	return refusingOperator{c.Client.OperatorService()}
}

type refusingOperator struct {
	operatorservice.OperatorServiceClient
}

func (refusingOperator) ListSearchAttributes(context.Context, *operatorservice.ListSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.ListSearchAttributesResponse, error) {
	return nil, serviceerror.NewPermissionDenied("Request unauthorized.", "")
}

func (refusingOperator) AddSearchAttributes(context.Context, *operatorservice.AddSearchAttributesRequest, ...grpc.CallOption) (*operatorservice.AddSearchAttributesResponse, error) {
	return nil, serviceerror.NewPermissionDenied("Request unauthorized.", "")
}

// Where the server refuses to list or add search attributes, visibility
// queries tell which ones the namespace lacks, and the error names exactly
// those, with their types; once someone registers them, registration passes.
func TestRegisterWhereTheServerRefuses(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	c := dialWithWorker(t, s)
	want := map[string]enums.IndexedValueType{
		"HookflowEventType": enums.INDEXED_VALUE_TYPE_KEYWORD,
		"HookflowHookIds":   enums.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	err := RegisterSearchAttributes(ctx, cloudClient{c}, "default", want)
	var missing *MissingSearchAttributesError
	if !errors.As(err, &missing) || !slices.Equal(missing.List(), []string{"HookflowEventType=Keyword", "HookflowHookIds=KeywordList"}) {
		t.Fatalf("RegisterSearchAttributes on a refusing server = %v, want both attributes named as missing", err)
	}
	if missing.Namespace != "default" || !errors.As(err, new(*serviceerror.PermissionDenied)) {
		t.Errorf("error lacks the namespace or the server's answer: %v", err)
	}

	// An operator registers one of them (with the real client, as tcld would).
	if err := RegisterSearchAttributes(ctx, c, "default", map[string]enums.IndexedValueType{"HookflowEventType": enums.INDEXED_VALUE_TYPE_KEYWORD}); err != nil {
		t.Fatal(err)
	}
	err = RegisterSearchAttributes(ctx, cloudClient{c}, "default", want)
	if !errors.As(err, &missing) || !slices.Equal(missing.List(), []string{"HookflowHookIds=KeywordList"}) {
		t.Fatalf("after one was registered = %v, want only HookflowHookIds missing", err)
	}
	if err := RegisterSearchAttributes(ctx, c, "default", want); err != nil {
		t.Fatal(err)
	}
	if err := RegisterSearchAttributes(ctx, cloudClient{c}, "default", want); err != nil {
		t.Errorf("every attribute registered, yet: %v", err)
	}
}
