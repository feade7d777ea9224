// Several HAProxy load balancers as one cluster: drains, readiness gates and cluster health over every member's stats page, Runtime API socket or SSH.
package haproxycluster
