// Package deploy checks the production shape (docker-compose.yml and the
// Dockerfile) without a Docker engine: the compose file is loaded and
// validated with compose-go, the spec Docker Compose itself uses.
package deploy

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
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
	for _, name := range []string{"postgres", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "mailpit", "migrate", "api", "worker"} {
		if _, err := p.GetService(name); err != nil {
			t.Errorf("service %s missing: %v", name, err)
		}
	}
	// Migrations run to completion before api and worker start, and both
	// start once their namespace exists (they would wait for it anyway).
	for _, name := range []string{"api", "worker"} {
		s, _ := p.GetService(name)
		if d := s.DependsOn["migrate"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for migrate to complete: %+v", name, s.DependsOn)
		}
		if d := s.DependsOn["temporal-namespace"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s does not wait for its namespace: %+v", name, s.DependsOn)
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

// The namespace hookflow uses is created once Temporal answers (api and
// worker register their search attributes on it at start), every hookflow
// server has a health check on a port it serves, and api and worker come
// back if they stop.
func TestComposeStartsInOrderAndChecksHealth(t *testing.T) {
	p := load(t)
	job, _ := p.GetService("temporal-namespace")
	api, _ := p.GetService("api")
	ns := api.Environment["HOOKFLOW_TEMPORAL_NAMESPACE"]
	if ns == nil || job.Environment["NAMESPACE"] == nil || *job.Environment["NAMESPACE"] != *ns {
		t.Errorf("temporal-namespace creates namespace %v, hookflow uses %v", job.Environment["NAMESPACE"], ns)
	}
	if cmd := strings.Join(job.Command, " "); !strings.Contains(cmd, "temporal operator namespace create --namespace \"$NAMESPACE\"") {
		t.Errorf("temporal-namespace does not create the namespace: %q", cmd)
	}
	if d := job.DependsOn["temporal"]; d.Condition != types.ServiceConditionHealthy {
		t.Errorf("temporal-namespace does not wait for a healthy temporal: %+v", job.DependsOn)
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

// Temporal runs the version go.mod pins (the one hookflow embeds and the
// cluster test builds), its schema comes from the script the cluster test
// runs, and it runs with the dynamic config the cluster test uses.
func TestComposeRunsTheTestedTemporal(t *testing.T) {
	p := load(t)
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\S+)$`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require go.temporal.io/server")
	}
	version := string(m[1])
	for name, image := range map[string]string{"temporal": "temporalio/server", "temporal-schema": "temporalio/admin-tools", "temporal-namespace": "temporalio/admin-tools"} {
		if s, _ := p.GetService(name); s.Image != image+":"+version {
			t.Errorf("%s runs %s, want %s:%s (go.mod)", name, s.Image, image, version)
		}
	}
	mounts := func(name, source string) string {
		s, _ := p.GetService(name)
		for _, v := range s.Volumes {
			if filepath.Base(v.Source) == filepath.Base(source) && strings.HasSuffix(filepath.ToSlash(v.Source), source) {
				return v.Target
			}
		}
		t.Errorf("%s does not mount %s: %+v", name, source, s.Volumes)
		return ""
	}
	tmp, _ := p.GetService("temporal")
	if target := mounts("temporal", "deploy/temporal/dynamicconfig.yaml"); tmp.Environment["DYNAMIC_CONFIG_FILE_PATH"] == nil || *tmp.Environment["DYNAMIC_CONFIG_FILE_PATH"] != target {
		t.Errorf("temporal's DYNAMIC_CONFIG_FILE_PATH = %v, want the mounted %s", tmp.Environment["DYNAMIC_CONFIG_FILE_PATH"], target)
	}
	if d := tmp.DependsOn["temporal-schema"]; d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("temporal starts before its schema is set up: %+v", tmp.DependsOn)
	}
	schema, _ := p.GetService("temporal-schema")
	if target := mounts("temporal-schema", "deploy/temporal/setup-schema.sh"); !slices.Contains(schema.Entrypoint, target) {
		t.Errorf("temporal-schema runs %v, not the mounted %s", schema.Entrypoint, target)
	}
	if host := schema.Environment["SQL_HOST"]; host == nil || *host != "postgres" {
		t.Errorf("temporal-schema sets up %v, want the postgres service", host)
	}
}
