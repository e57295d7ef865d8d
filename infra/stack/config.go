package stack

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
)

// Settings are the per-environment knobs. Defaults returns them for dev,
// staging and prod; CDK context values override the deployment-specific ones
// (domains, certificates, alarm emails, reserved concurrency).
type Settings struct {
	Name string // dev, staging or prod: prefixes stack and resource names

	MemoryMB     float64 // every function's memory (CPU scales with it)
	TimeoutSec   float64 // every function's timeout (API Gateway caps requests at 30 s)
	LogRetention awslogs.RetentionDays
	LogLevel     string // PORTICO_LOG_LEVEL
	Tracing      bool   // X-Ray active tracing on functions

	// Retain keeps stateful resources (table, key, secret, user pool, console
	// bucket, log groups) when the stack or resource is deleted;
	// DeletionProtection also guards the table and user pool against deletion.
	Retain             bool
	DeletionProtection bool

	// ReservedConcurrency caps (and reserves) concurrency per function name;
	// absent or 0 leaves the function on the account's unreserved pool.
	ReservedConcurrency map[string]float64

	// Gateway HTTP API default-stage throttling (requests/s and burst).
	ThrottleRate  float64
	ThrottleBurst float64

	// Domain, when set, serves tenants at {tenant}.api.<Domain>: a regional
	// custom domain *.api.<Domain> with CertificateArn (an ACM certificate in
	// the stack's region covering *.api.<Domain>), or, without it, one
	// created and DNS-validated in the HostedZoneID/HostedZoneName zone.
	Domain         string
	CertificateArn string
	HostedZoneID   string
	HostedZoneName string

	// ConsoleDomain, when set, is the console's CloudFront alias; it needs
	// ConsoleCertificateArn, an ACM certificate in us-east-1.
	ConsoleDomain         string
	ConsoleCertificateArn string

	// The console signs in through Cognito's hosted UI. AuthDomainPrefix
	// names its prefix domain <prefix>.auth.<region>.amazoncognito.com
	// (default: see Config.AuthDomainPrefix); AuthDomain with
	// AuthCertificateArn (an ACM certificate in us-east-1) serves it on a
	// custom domain instead.
	AuthDomainPrefix   string
	AuthDomain         string
	AuthCertificateArn string

	// AlarmEmails receive the SNS alarm topic (confirmation mail first).
	AlarmEmails []string
	// Alarm thresholds.
	ErrorRatePercent float64 // function errors / invocations over 5 minutes
	P99LatencyMs     float64 // gateway HTTP API p99 integration latency over 5 minutes

	// SecretRotationDays is the rotation schedule of platform-managed
	// secrets; used only when the key-rotation function exists.
	SecretRotationDays float64
}

// Environments lists the known environment names.
var Environments = []string{"dev", "staging", "prod"}

// Defaults returns the settings of a known environment.
func Defaults(name string) (Settings, error) {
	s := Settings{
		Name:               name,
		MemoryMB:           256,
		TimeoutSec:         29,
		LogRetention:       awslogs.RetentionDays_ONE_WEEK,
		LogLevel:           "debug",
		ThrottleRate:       100,
		ThrottleBurst:      200,
		ErrorRatePercent:   5,
		P99LatencyMs:       3000,
		SecretRotationDays: 30,
	}
	switch name {
	case "dev":
	case "staging":
		s.MemoryMB = 512
		s.LogRetention = awslogs.RetentionDays_ONE_MONTH
		s.LogLevel = "info"
		s.Retain = true
		s.DeletionProtection = true
		s.ThrottleRate, s.ThrottleBurst = 500, 1000
		s.Tracing = true
	case "prod":
		s.MemoryMB = 1024
		s.LogRetention = awslogs.RetentionDays_ONE_YEAR
		s.LogLevel = "info"
		s.Retain = true
		s.DeletionProtection = true
		s.ThrottleRate, s.ThrottleBurst = 5000, 10000
		s.Tracing = true
		s.ErrorRatePercent = 1
		s.P99LatencyMs = 1000
	default:
		return Settings{}, fmt.Errorf("unknown environment %q: want one of %s", name, strings.Join(Environments, ", "))
	}
	return s, nil
}

// removal is the CloudFormation removal policy of stateful resources.
func (s Settings) removal() awscdk.RemovalPolicy {
	if s.Retain {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

// prefix names resources: portico-<env>.
func (s Settings) prefix() string { return "portico-" + s.Name }

// GatewayDomain is PORTICO_GATEWAY_DOMAIN: api.<Domain>, or empty.
func (s Settings) GatewayDomain() string {
	if s.Domain == "" {
		return ""
	}
	return "api." + s.Domain
}

func (s Settings) validate() error {
	var errs []error
	if s.Domain != "" && s.CertificateArn == "" && (s.HostedZoneID == "" || s.HostedZoneName == "") {
		errs = append(errs, errors.New("domain needs certificateArn, or hostedZoneId and hostedZoneName to create one"))
	}
	if s.Domain == "" && (s.CertificateArn != "" || s.HostedZoneID != "") {
		errs = append(errs, errors.New("certificateArn and hostedZoneId need domain"))
	}
	if (s.ConsoleDomain == "") != (s.ConsoleCertificateArn == "") {
		errs = append(errs, errors.New("consoleDomain and consoleCertificateArn go together (the certificate must be in us-east-1)"))
	}
	if (s.AuthDomain == "") != (s.AuthCertificateArn == "") {
		errs = append(errs, errors.New("authDomain and authCertificateArn go together (the certificate must be in us-east-1)"))
	}
	if s.AuthDomain != "" && s.AuthDomainPrefix != "" {
		errs = append(errs, errors.New("authDomain and authDomainPrefix exclude each other"))
	}
	if p := s.AuthDomainPrefix; p != "" {
		if err := checkDomainPrefix(p); err != nil {
			errs = append(errs, err)
		}
	}
	for fn, n := range s.ReservedConcurrency {
		if n < 0 {
			errs = append(errs, fmt.Errorf("reservedConcurrency %s=%v: want >= 0", fn, n))
		}
	}
	return errors.Join(errs...)
}

// domainPrefix is what Cognito accepts as a prefix domain.
var domainPrefix = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// checkDomainPrefix refuses prefixes Cognito would reject at deploy time:
// wrong characters or length, or a reserved word.
func checkDomainPrefix(p string) error {
	if !domainPrefix.MatchString(p) {
		return fmt.Errorf("authDomainPrefix %q: want 1-63 lowercase letters, digits and inner hyphens", p)
	}
	for _, w := range []string{"aws", "amazon", "cognito"} {
		if strings.Contains(p, w) {
			return fmt.Errorf("authDomainPrefix %q: Cognito reserves %q", p, w)
		}
	}
	return nil
}

// Config is everything the stacks are built from.
type Config struct {
	Settings Settings
	// Root is the repository root: functions/, dist/<fn>/bootstrap and
	// frontend/dist are found under it.
	Root string
	// Account and Region pin the stacks to an environment; empty leaves
	// them environment-agnostic (enough for synth).
	Account, Region string
}

// Context is how the app reads CDK context (app.Node().TryGetContext).
type Context func(key string) any

// ConfigFromContext builds the Config from CDK context values:
//
//	env                      dev (default), staging or prod
//	root                     repository root (default: found upwards from the working directory)
//	domain                   tenants at {tenant}.api.<domain>
//	certificateArn           regional ACM certificate for *.api.<domain>
//	hostedZoneId, hostedZoneName  Route 53 zone to create and validate that certificate
//	consoleDomain, consoleCertificateArn  console alias (us-east-1 certificate)
//	authDomainPrefix         Cognito hosted UI prefix domain (default portico-<env>-<hash>)
//	authDomain, authCertificateArn  hosted UI on a custom domain (us-east-1 certificate)
//	alarmEmail               comma-separated addresses for the alarm topic
//	reservedConcurrency      comma-separated fn=n pairs, e.g. gateway=100,management=10
//
// Account and region come from CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION.
func ConfigFromContext(ctx Context) (Config, error) {
	str := func(k string) string {
		if v, ok := ctx(k).(string); ok {
			return strings.TrimSpace(v)
		}
		if v := ctx(k); v != nil {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	name := str("env")
	if name == "" {
		name = "dev"
	}
	s, err := Defaults(name)
	if err != nil {
		return Config{}, err
	}
	s.Domain = str("domain")
	s.CertificateArn = str("certificateArn")
	s.HostedZoneID = str("hostedZoneId")
	s.HostedZoneName = str("hostedZoneName")
	s.ConsoleDomain = str("consoleDomain")
	s.ConsoleCertificateArn = str("consoleCertificateArn")
	s.AuthDomainPrefix = str("authDomainPrefix")
	s.AuthDomain = str("authDomain")
	s.AuthCertificateArn = str("authCertificateArn")
	for _, e := range strings.Split(str("alarmEmail"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			s.AlarmEmails = append(s.AlarmEmails, e)
		}
	}
	if rc := str("reservedConcurrency"); rc != "" {
		s.ReservedConcurrency = map[string]float64{}
		for _, kv := range strings.Split(rc, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				return Config{}, fmt.Errorf("reservedConcurrency %q: want fn=n pairs", kv)
			}
			s.ReservedConcurrency[k] = float64(n)
		}
	}
	root := str("root")
	if root == "" {
		if root, err = findRoot(); err != nil {
			return Config{}, err
		}
	}
	if root, err = filepath.Abs(root); err != nil {
		return Config{}, err
	}
	cfg := Config{Settings: s, Root: root, Account: os.Getenv("CDK_DEFAULT_ACCOUNT"), Region: os.Getenv("CDK_DEFAULT_REGION")}
	return cfg, cfg.Validate()
}

// Validate checks the settings and that every deployed function's
// bootstrap has been built.
func (c Config) Validate() error {
	if err := c.Settings.validate(); err != nil {
		return err
	}
	fns, err := c.Functions()
	if err != nil {
		return err
	}
	if len(fns) == 0 {
		return fmt.Errorf("no function under %s", filepath.Join(c.Root, "functions"))
	}
	var missing []string
	for _, fn := range fns {
		if _, err := os.Stat(c.bootstrap(fn.Name)); err != nil {
			missing = append(missing, c.bootstrap(fn.Name))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("Lambda bootstrap missing (run `make build` first): %s", strings.Join(missing, ", "))
	}
	return nil
}

// AuthDomainPrefix is the hosted UI's prefix domain: the configured one, or
// portico-<env>-<8 hex digits of SHA-256 of account/region> (prefix domains
// are global across AWS, so the hash keeps environments of different
// accounts and regions apart). Empty when neither is set and the stacks are
// environment-agnostic: the State stack then derives one from its stack id
// at deploy time.
func (c Config) AuthDomainPrefix() string {
	if c.Settings.AuthDomainPrefix != "" {
		return c.Settings.AuthDomainPrefix
	}
	if c.Account == "" || c.Region == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(c.Account + "/" + c.Region))
	return c.Settings.prefix() + "-" + hex.EncodeToString(sum[:4])
}

func (c Config) bootstrap(fn string) string {
	return filepath.Join(c.Root, "dist", fn, "bootstrap")
}

// consoleDist is the built console, deployed when it exists.
func (c Config) consoleDist() (string, bool) {
	dir := filepath.Join(c.Root, "frontend", "dist")
	_, err := os.Stat(filepath.Join(dir, "index.html"))
	return dir, err == nil
}

// findRoot walks up from the working directory to the directory whose go.mod
// declares the root module, so the app runs from the repository root (as
// cdk.json does) or from infra/ (go run .).
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && modulePath(b) == rootModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory: pass -c root=<repository root>", rootModule)
		}
		dir = parent
	}
}

const rootModule = "github.com/portico/portico"

func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			return f[1]
		}
	}
	return ""
}
