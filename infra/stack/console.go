package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// spaRewrite serves the console's index.html for every path without a file
// extension (client-side routes) on the default behaviour only, so /admin/*
// API errors are never replaced by the page (which distribution-wide custom
// error responses would do). The console is built with base /console/ (as
// the local server serves it), so it is deployed under the console/ prefix.
const spaRewrite = `function handler(event) {
  var r = event.request;
  var last = r.uri.substring(r.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) { r.uri = '/console/index.html'; }
  return r;
}`

// consolePath is where the console is served (the bundle is built with base
// /console/ and deployed under that key prefix); its sign-in callback and
// signed-out page are the routes auth/callback and signin below it.
const consolePath = "/console/"

// Console is the console's front door: a private bucket read by CloudFront
// through origin access control, SPA routing, the management HTTP API that
// /admin/* is proxied to (same origin, no CORS), and the Cognito app client
// the console signs in with, whose callback URLs name the distribution.
//
// The management API lives here rather than in the Api stack so that the
// stacks do not cycle: the distribution needs the API's endpoint, the app
// client needs the distribution's domain, and the management function and
// the API's JWT authorizer need the client id. The Api stack, deployed after
// this one, attaches the function (the $default route) to ManagementAPI with
// Authorizer. docs/deploy.md, "Sign-in", has the reasoning.
type Console struct {
	Stack        awscdk.Stack
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
	// Client is the console's app client: authorization code + PKCE through
	// the hosted UI, no secret.
	Client awscognito.UserPoolClient
	// ManagementAPI is the console's HTTP API (/admin/*); nil, like
	// Authorizer, without the management function.
	ManagementAPI awsapigatewayv2.HttpApi
	// Authorizer accepts ID tokens of Client only; its AWS::ApiGatewayV2::
	// Authorizer is created beside ManagementAPI when the Api stack's route
	// binds it.
	Authorizer awsapigatewayv2.IHttpRouteAuthorizer
	// RuntimeConfig is the console's config.json (values resolve at deploy
	// time); nil when frontend/dist is not built.
	RuntimeConfig map[string]any
}

func newConsole(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config, fns []Function, st *State) *Console {
	s := cfg.Settings
	c := &Console{Stack: awscdk.NewStack(scope, jsii.String(id), props)}
	c.Bucket = awss3.NewBucket(c.Stack, jsii.String("Assets"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(s.Retain),
		RemovalPolicy:     s.removal(),
		AutoDeleteObjects: jsii.Bool(!s.Retain),
	})
	spa := awscloudfront.NewFunction(c.Stack, jsii.String("SpaRouting"), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(spaRewrite)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("Portico console: client-side routes -> /index.html"),
	})
	dp := &awscloudfront.DistributionProps{
		Comment:                jsii.String("Portico " + s.Name + " console"),
		DefaultRootObject:      jsii.String("console/index.html"),
		MinimumProtocolVersion: awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(c.Bucket, nil),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
			ResponseHeadersPolicy: awscloudfront.ResponseHeadersPolicy_SECURITY_HEADERS(),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: spa, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
	}
	if has(fns, FnManagement) {
		c.managementAPI(s)
		// The token is part of the cache key so nothing is shared between
		// callers; TTLs are zero unless the API says otherwise (max 1 s).
		noStore := awscloudfront.NewCachePolicy(c.Stack, jsii.String("ManagementApiCache"), &awscloudfront.CachePolicyProps{
			Comment:             jsii.String("Portico management API: keyed by Authorization, not cached"),
			MinTtl:              awscdk.Duration_Seconds(jsii.Number(0)),
			DefaultTtl:          awscdk.Duration_Seconds(jsii.Number(0)),
			MaxTtl:              awscdk.Duration_Seconds(jsii.Number(1)),
			HeaderBehavior:      awscloudfront.CacheHeaderBehavior_AllowList(jsii.String("Authorization")),
			QueryStringBehavior: awscloudfront.CacheQueryStringBehavior_All(),
			CookieBehavior:      awscloudfront.CacheCookieBehavior_None(),
		})
		apiHost := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("://"), c.ManagementAPI.ApiEndpoint(), nil))
		dp.AdditionalBehaviors = &map[string]*awscloudfront.BehaviorOptions{
			"/admin/*": {
				Origin: awscloudfrontorigins.NewHttpOrigin(apiHost, &awscloudfrontorigins.HttpOriginProps{
					ProtocolPolicy: awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
				}),
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				CachePolicy:          noStore,
				OriginRequestPolicy:  awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		}
	}
	if s.ConsoleDomain != "" {
		dp.DomainNames = jsii.Strings(s.ConsoleDomain)
		dp.Certificate = awscertificatemanager.Certificate_FromCertificateArn(c.Stack, jsii.String("ConsoleCertificate"), jsii.String(s.ConsoleCertificateArn))
	}
	c.Distribution = awscloudfront.NewDistribution(c.Stack, jsii.String("Distribution"), dp)
	c.signInClient(s, st)

	if dir, ok := cfg.consoleDist(); ok {
		// config.json tells the built console where to sign in (the OpenID
		// Provider, the client, the hosted UI for logout); the API is
		// same-origin under /admin/v1. The console derives its redirect URI
		// from its own origin: one of the client's callback URLs.
		c.RuntimeConfig = map[string]any{
			"region":     *c.Stack.Region(),
			"userPoolId": st.Users.UserPoolId(),
			"clientId":   c.Client.UserPoolClientId(),
			"issuer": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("https://cognito-idp."), c.Stack.Region(), jsii.String(".amazonaws.com/"), st.Users.UserPoolId(),
			}),
			"domain":  st.HostedUI.BaseUrl(nil),
			"scopes":  consoleScopes,
			"apiBase": "/admin/v1",
		}
		awss3deployment.NewBucketDeployment(c.Stack, jsii.String("Deploy"), &awss3deployment.BucketDeploymentProps{
			DestinationBucket:    c.Bucket,
			DestinationKeyPrefix: jsii.String("console/"),
			Sources: &[]awss3deployment.ISource{
				awss3deployment.Source_Asset(jsii.String(dir), nil),
				awss3deployment.Source_JsonData(jsii.String("config.json"), c.RuntimeConfig, nil),
			},
			Distribution:      c.Distribution,
			DistributionPaths: jsii.Strings("/console/*"),
			Prune:             jsii.Bool(true),
			MemoryLimit:       jsii.Number(512),
		})
	}
	awscdk.NewCfnOutput(c.Stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Value: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), c.consoleHosts(s)[0], jsii.String(consolePath)}),
	})
	awscdk.NewCfnOutput(c.Stack, jsii.String("ConsoleClientId"), &awscdk.CfnOutputProps{Value: c.Client.UserPoolClientId()})
	return c
}

// consoleScopes are the OpenID scopes the console asks for (and the client
// allows): the ID token then carries email and the custom attributes.
var consoleScopes = []string{"openid", "email", "profile"}

// consoleHosts are the hosts the console is reached at: the configured
// console domain first, then the distribution's own domain (which serves
// it too).
func (c *Console) consoleHosts(s Settings) []*string {
	var hosts []*string
	if s.ConsoleDomain != "" {
		hosts = append(hosts, jsii.String(s.ConsoleDomain))
	}
	return append(hosts, c.Distribution.DistributionDomainName())
}

// signInClient creates the console's app client: the hosted UI with the
// authorization code grant only, a public client (no secret; the console
// proves possession with PKCE, which Cognito enforces for public clients
// that send a code_challenge), callback and logout URLs on every console
// host, tokens of an hour, and no hint whether an account exists. It can read
// custom:tenant and custom:role but write only email: a user cannot change
// their own tenant or role (admins do, with AdminUpdateUserAttributes).
func (c *Console) signInClient(s Settings, st *State) {
	var callbacks, logouts []*string
	for _, h := range c.consoleHosts(s) {
		base := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), h, jsii.String(consolePath)})
		callbacks = append(callbacks, awscdk.Fn_Join(jsii.String(""), &[]*string{base, jsii.String("auth/callback")}))
		logouts = append(logouts, awscdk.Fn_Join(jsii.String(""), &[]*string{base, jsii.String("signin")}))
	}
	scopes := make([]awscognito.OAuthScope, 0, len(consoleScopes))
	for _, sc := range consoleScopes { // the standard OpenID scopes, by name
		scopes = append(scopes, awscognito.OAuthScope_Custom(jsii.String(sc)))
	}
	c.Client = awscognito.NewUserPoolClient(c.Stack, jsii.String("SignInClient"), &awscognito.UserPoolClientProps{
		UserPool:           st.Users,
		UserPoolClientName: jsii.String(s.prefix() + "-console"),
		GenerateSecret:     jsii.Bool(false), // a browser app cannot keep a secret
		AuthFlows:          &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		OAuth: &awscognito.OAuthSettings{
			Flows:        &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes:       &scopes,
			CallbackUrls: &callbacks,
			LogoutUrls:   &logouts,
		},
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		PreventUserExistenceErrors: jsii.Bool(true),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Days(jsii.Number(30)),
		AuthSessionValidity:        awscdk.Duration_Minutes(jsii.Number(3)),
		EnableTokenRevocation:      jsii.Bool(true),
		ReadAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true)}).
			WithCustomAttributes(jsii.String("tenant"), jsii.String("role")),
		WriteAttributes: awscognito.NewClientAttributes().
			WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true)}),
	})
	if c.ManagementAPI != nil {
		c.Authorizer = awsapigatewayv2authorizers.NewHttpUserPoolAuthorizer(jsii.String("Console"), st.Users, &awsapigatewayv2authorizers.HttpUserPoolAuthorizerProps{
			AuthorizerName:  jsii.String("console"),
			UserPoolClients: &[]awscognito.IUserPoolClient{c.Client},
			IdentitySource:  jsii.Strings("$request.header.Authorization"),
		})
	}
}

// managementAPI creates the console's HTTP API and its throttled $default
// stage; the Api stack adds the route to the management function.
func (c *Console) managementAPI(s Settings) {
	c.ManagementAPI = awsapigatewayv2.NewHttpApi(c.Stack, jsii.String("ManagementApi"), &awsapigatewayv2.HttpApiProps{
		ApiName:            jsii.String(s.prefix() + "-management"),
		Description:        jsii.String("Portico " + s.Name + " console API (/admin/v1)"),
		CreateDefaultStage: jsii.Bool(false),
	})
	awsapigatewayv2.NewHttpStage(c.Stack, jsii.String("ManagementStage"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    c.ManagementAPI,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle:   &awsapigatewayv2.ThrottleSettings{RateLimit: jsii.Number(50), BurstLimit: jsii.Number(100)},
	})
	awscdk.NewCfnOutput(c.Stack, jsii.String("ManagementUrl"), &awscdk.CfnOutputProps{Value: c.ManagementAPI.ApiEndpoint()})
}
