package model

import (
	"net/url"
	"slices"
	"strconv"
)

// validateCORS checks a CORS policy found at ptr (an endpoint's
// /policies/cors or an API's /cors default); nil is valid (no CORS).
func validateCORS(e *Errors, ptr string, c *CORSPolicy) {
	if c == nil {
		return
	}
	if len(c.AllowOrigins) == 0 {
		e.Add(ptr+"/allowOrigins", "must list at least one origin (or \"*\")")
	}
	for i, o := range c.AllowOrigins {
		p := ptr + "/allowOrigins/" + strconv.Itoa(i)
		if o == "*" {
			if c.AllowCredentials {
				e.Add(p, "\"*\" cannot be combined with allowCredentials")
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			e.Add(p, "must be an origin like https://app.example.com")
		}
	}
	for i, m := range c.AllowMethods {
		if !slices.Contains(knownMethods, m) || m == "ANY" {
			e.Add(ptr+"/allowMethods/"+strconv.Itoa(i), "must be an HTTP method")
		}
	}
	stringList(e, ptr+"/allowHeaders", c.AllowHeaders, headerNameRE, "must be a valid header name")
	stringList(e, ptr+"/exposeHeaders", c.ExposeHeaders, headerNameRE, "must be a valid header name")
	if c.MaxAgeSeconds < 0 || c.MaxAgeSeconds > 86400 {
		e.Add(ptr+"/maxAgeSeconds", "must be between 0 and 86400")
	}
}
