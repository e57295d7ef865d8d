package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
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

// Console is the console's hosting stack: a private bucket read by
// CloudFront through origin access control, SPA routing, and /admin/* proxied
// to the management API so the console calls it same-origin (no CORS).
type Console struct {
	Stack        awscdk.Stack
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
}

func newConsole(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config, st *State, api *API) *Console {
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
	if api.Management != nil {
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
		apiHost := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("://"), api.Management.ApiEndpoint(), nil))
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

	if dir, ok := cfg.consoleDist(); ok {
		// config.json tells the built console where Cognito is; the API is
		// same-origin under /admin/v1.
		runtimeConfig := map[string]any{
			"region":     *c.Stack.Region(),
			"userPoolId": st.Users.UserPoolId(),
			"clientId":   st.Console.UserPoolClientId(),
			// the OpenID Provider the console signs in with (code + PKCE)
			"issuer": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("https://cognito-idp."), c.Stack.Region(), jsii.String(".amazonaws.com/"), st.Users.UserPoolId(),
			}),
			"apiBase": "/admin/v1",
		}
		awss3deployment.NewBucketDeployment(c.Stack, jsii.String("Deploy"), &awss3deployment.BucketDeploymentProps{
			DestinationBucket:    c.Bucket,
			DestinationKeyPrefix: jsii.String("console/"),
			Sources: &[]awss3deployment.ISource{
				awss3deployment.Source_Asset(jsii.String(dir), nil),
				awss3deployment.Source_JsonData(jsii.String("config.json"), runtimeConfig, nil),
			},
			Distribution:      c.Distribution,
			DistributionPaths: jsii.Strings("/console/*"),
			Prune:             jsii.Bool(true),
			MemoryLimit:       jsii.Number(512),
		})
	}
	awscdk.NewCfnOutput(c.Stack, jsii.String("ConsoleUrl"), &awscdk.CfnOutputProps{
		Value: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), c.Distribution.DistributionDomainName(), jsii.String("/console/")}),
	})
	return c
}
