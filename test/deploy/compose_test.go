// Package deploy checks the production shape (docker-compose.yml and the
// Dockerfile) without a Docker engine: the compose file is loaded and
// validated with compose-go, the spec Docker Compose itself uses.
package deploy

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/hookflow/hookflow/internal/config"
	"github.com/hookflow/hookflow/internal/seal"
)

func load(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"../../docker-compose.yml"}, cli.WithWorkingDirectory("../.."), cli.WithOsEnv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func TestComposeHasTheProductionShape(t *testing.T) {
	p := load(t)
	for _, name := range []string{"postgres", "temporal", "temporal-ui", "mailpit", "migrate", "api", "worker"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s missing: %v", name, err)
		}
	}
	// Migrations run to completion before api and worker start, and both wait for a healthy Temporal.
	for _, name := range []string{"api", "worker"} {
		s, _ := p.GetService(name)
		if d := s.DependsOn["migrate"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for migrate to complete: %+v", name, s.DependsOn)
		}
		if d := s.DependsOn["temporal"]; d.Condition != types.ServiceConditionHealthy {
			t.Errorf("%s does not wait for a healthy temporal: %+v", name, s.DependsOn)
		}
		if s.Build == nil || s.Build.Context == "" {
			t.Errorf("%s is not built from the repo's Dockerfile", name)
		}
	}
	for _, name := range []string{"postgres", "temporal", "api"} {
		if s, _ := p.GetService(name); s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	for name, want := range map[string][]string{"migrate": {"migrate"}, "api": {"api"}, "worker": {"worker"}} {
		if s, _ := p.GetService(name); !slices.Equal([]string(s.Command), want) {
			t.Errorf("%s runs %v, want hookflow %v", name, s.Command, want)
		}
	}
	m, _ := p.GetService("migrate")
	if d := m.DependsOn["postgres"]; d.Condition != types.ServiceConditionHealthy {
		t.Errorf("migrate does not wait for a healthy postgres")
	}
}

// Every HOOKFLOW_* variable the compose file sets is one hookflow reads, the
// ones the roles require are set, and the SMTP catcher receives the mail.
func TestComposeEnvironmentMatchesTheConfiguration(t *testing.T) {
	p := load(t)
	known := map[string]bool{}
	for _, s := range config.Settings {
		known[s.Env] = true
	}
	for _, name := range []string{"migrate", "api", "worker"} {
		s, _ := p.GetService(name)
		for k, v := range s.Environment {
			if strings.HasPrefix(k, "HOOKFLOW_") && !known[k] {
				t.Errorf("%s sets %s, which hookflow does not read", name, k)
			}
			if v == nil || *v == "" {
				t.Errorf("%s sets %s empty", name, k)
			}
		}
		for _, required := range []string{"HOOKFLOW_DATABASE_URL", "HOOKFLOW_TEMPORAL_ADDRESS", "HOOKFLOW_API_KEYS", "HOOKFLOW_ENCRYPTION_KEYS"} {
			if s.Environment[required] == nil {
				t.Errorf("%s lacks %s", name, required)
			}
		}
	}
	// migrate seals what api and worker open: one key list for the three.
	var keys []string
	for _, name := range []string{"migrate", "api", "worker"} {
		s, _ := p.GetService(name)
		if v := s.Environment["HOOKFLOW_ENCRYPTION_KEYS"]; v != nil {
			if _, err := seal.ParseKeys(*v); err != nil {
				t.Errorf("%s's HOOKFLOW_ENCRYPTION_KEYS does not parse: %v", name, err)
			}
			keys = append(keys, *v)
		}
	}
	if len(slices.Compact(keys)) != 1 {
		t.Error("migrate, api and worker do not share one HOOKFLOW_ENCRYPTION_KEYS")
	}
	w, _ := p.GetService("worker")
	if smtp := w.Environment["HOOKFLOW_SMTP_URL"]; smtp == nil || !strings.Contains(*smtp, "mailpit:1025") {
		t.Errorf("worker mails do not go to the SMTP catcher: %v", smtp)
	}
	if db := w.Environment["HOOKFLOW_DATABASE_URL"]; db == nil || !strings.HasPrefix(*db, "postgres://") || !strings.Contains(*db, "@postgres:5432/") {
		t.Errorf("worker database = %v, want the postgres service", db)
	}
}

// Temporal is healthy only once the namespace hookflow uses exists (api and
// worker register their search attributes on it at start), every hookflow
// server has a health check on a port it serves, and api and worker come
// back if they stop.
func TestComposeStartsInOrderAndChecksHealth(t *testing.T) {
	p := load(t)
	tmp, _ := p.GetService("temporal")
	api, _ := p.GetService("api")
	ns := api.Environment["HOOKFLOW_TEMPORAL_NAMESPACE"]
	if ns == nil || tmp.Environment["DEFAULT_NAMESPACE"] == nil || *tmp.Environment["DEFAULT_NAMESPACE"] != *ns {
		t.Errorf("Temporal creates namespace %v, hookflow uses %v", tmp.Environment["DEFAULT_NAMESPACE"], ns)
	}
	if test := strings.Join(tmp.HealthCheck.Test, " "); !strings.Contains(test, "namespace describe") || !strings.Contains(test, *ns) {
		t.Errorf("temporal's health check %q does not wait for namespace %s", test, *ns)
	}
	for name, port := range map[string]string{"api": "8080", "worker": "9464"} {
		s, _ := p.GetService(name)
		if s.HealthCheck == nil || !strings.Contains(strings.Join(s.HealthCheck.Test, " "), "/hookflow healthcheck http://127.0.0.1:"+port+"/") {
			t.Errorf("%s has no health check on port %s: %+v", name, port, s.HealthCheck)
		}
		if s.Restart != types.RestartPolicyOnFailure {
			t.Errorf("%s restart = %q, want on-failure", name, s.Restart)
		}
	}
	w, _ := p.GetService("worker")
	if addr := w.Environment["HOOKFLOW_METRICS_ADDR"]; addr == nil || !strings.HasSuffix(*addr, ":9464") {
		t.Errorf("worker metrics address = %v, want :9464", addr)
	}
	m, _ := p.GetService("mailpit")
	if !slices.ContainsFunc(m.Ports, func(pc types.ServicePortConfig) bool { return pc.Target == 8025 }) {
		t.Errorf("the SMTP catcher's web UI is not published: %+v", m.Ports)
	}
}

func TestDockerfileBuildsTheBinary(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/hookflow", `ENTRYPOINT ["/hookflow"]`, "USER nonroot"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
