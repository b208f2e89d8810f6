{{/* Names, labels and the values derived from several others. */}}

{{/* The chart name, or nameOverride. */}}
{{- define "kargo-webhook-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The base name of every resource: fullnameOverride, else the release name when
it already contains the chart name, else `<release>-<chart>`.
*/}}
{{- define "kargo-webhook-gateway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "kargo-webhook-gateway.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the gateway's Pods; never change them on upgrade. */}}
{{- define "kargo-webhook-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kargo-webhook-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "kargo-webhook-gateway.labels" -}}
{{ include "kargo-webhook-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.externalWebhooksServer.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The ServiceAccount the gateway runs as. */}}
{{- define "kargo-webhook-gateway.serviceAccountName" -}}
{{- default (include "kargo-webhook-gateway.fullname" .) .Values.externalWebhooksServer.serviceAccount.name -}}
{{- end -}}

{{/*
The name of Kargo's own webhook server's ServiceAccount: Kargo's management
controller binds it to `kargo-project-secrets-reader` in every project
namespace, and Kargo's chart binds it in the cluster Secrets namespace.
*/}}
{{- define "kargo-webhook-gateway.kargoServiceAccountName" -}}kargo-external-webhooks-server{{- end -}}

{{/*
Whether the chart itself grants Secret access ("true" or ""). Fails when the
gateway would run under an account Kargo's RoleBindings do not cover and no
access is configured: it could read no receiver Secret.
*/}}
{{- define "kargo-webhook-gateway.grantsSecretAccess" -}}
{{- $access := .Values.externalWebhooksServer.secretAccess -}}
{{- $account := include "kargo-webhook-gateway.serviceAccountName" . -}}
{{- $granted := or $access.clusterWide (include "kargo-webhook-gateway.secretNamespaces" . | fromJsonArray) -}}
{{- if and (ne $account (include "kargo-webhook-gateway.kargoServiceAccountName" .)) (not $granted) -}}
{{- fail (printf "externalWebhooksServer.serviceAccount.name is %q, which Kargo's RoleBindings do not cover: list the project namespaces in externalWebhooksServer.secretAccess.namespaces, or set externalWebhooksServer.secretAccess.clusterWide=true (wider than Kargo's grant)" $account) -}}
{{- end -}}
{{- if $granted -}}true{{- end -}}
{{- end -}}

{{/*
The namespaces listed in secretAccess.namespaces (empty entries dropped, as
`--set key={}` makes one), as a JSON array.
*/}}
{{- define "kargo-webhook-gateway.secretNamespaces" -}}
{{- compact (.Values.externalWebhooksServer.secretAccess.namespaces | default list) | uniq | toJson -}}
{{- end -}}

{{/* The ClusterRole holding the Secret rules this chart grants. */}}
{{- define "kargo-webhook-gateway.secretsReaderName" -}}
{{- printf "%s-secrets-reader" (include "kargo-webhook-gateway.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Lease name: the Role's get/update rule and the gateway must agree. */}}
{{- define "kargo-webhook-gateway.leaseName" -}}
{{- default (include "kargo-webhook-gateway.fullname" .) .Values.externalWebhooksServer.leaseName -}}
{{- end -}}

{{/* Container ports: the env vars, the Services and the probes use these. */}}
{{- define "kargo-webhook-gateway.webhookPort" -}}8080{{- end -}}
{{- define "kargo-webhook-gateway.adminPort" -}}8081{{- end -}}

{{/* The base path, checked: empty, or `/x` without a trailing slash. */}}
{{- define "kargo-webhook-gateway.basePath" -}}
{{- $path := .Values.externalWebhooksServer.basePath | default "" | toString -}}
{{- if and $path (or (not (hasPrefix "/" $path)) (hasSuffix "/" $path)) -}}
{{- fail (printf "externalWebhooksServer.basePath %q must start with / and must not end with one" $path) -}}
{{- end -}}
{{- $path -}}
{{- end -}}

{{/* Whether the gateway terminates TLS on its webhook port. */}}
{{- define "kargo-webhook-gateway.servesTLS" -}}
{{- if .Values.externalWebhooksServer.tls.enabled -}}true{{- end -}}
{{- end -}}

{{/* The Secret with the gateway's own certificate (`tls.enabled`). */}}
{{- define "kargo-webhook-gateway.tlsSecretName" -}}
{{- .Values.externalWebhooksServer.tls.secretName | default (printf "%s-cert" (include "kargo-webhook-gateway.fullname" .)) -}}
{{- end -}}

{{/* The webhook Service's port: `service.port`, else 443 with TLS, else 80. */}}
{{- define "kargo-webhook-gateway.servicePort" -}}
{{- $port := .Values.externalWebhooksServer.service.port | toString -}}
{{- if $port -}}
{{- $port -}}
{{- else if include "kargo-webhook-gateway.servesTLS" . -}}
443
{{- else -}}
80
{{- end -}}
{{- end -}}

{{/* The webhook Service's port name, which the Ingress routes to. */}}
{{- define "kargo-webhook-gateway.servicePortName" -}}
{{- ternary "https" "http" (eq (include "kargo-webhook-gateway.servesTLS" .) "true") -}}
{{- end -}}

{{/*
Whether senders reach the gateway over HTTPS, decided as Kargo's chart
decides it for its own webhook server: TLS at the chart's Ingress when there
is one, else TLS at the gateway itself, or TLS terminated upstream.
*/}}
{{- define "kargo-webhook-gateway.publishesHTTPS" -}}
{{- $server := .Values.externalWebhooksServer -}}
{{- if or (and $server.ingress.enabled $server.ingress.tls.enabled) (and (not $server.ingress.enabled) $server.tls.enabled) $server.tls.terminatedUpstream -}}
true
{{- end -}}
{{- end -}}

{{/*
The URL senders reach the webhook server at, without the base path:
externalURL if set; else https://host or http://host (see publishesHTTPS);
else (no host) the webhook Service's address inside the cluster, over HTTPS
when the gateway terminates TLS.
*/}}
{{- define "kargo-webhook-gateway.externalURL" -}}
{{- $server := .Values.externalWebhooksServer -}}
{{- $scheme := ternary "https" "http" (eq (include "kargo-webhook-gateway.publishesHTTPS" .) "true") -}}
{{- if $server.externalURL -}}
{{- $server.externalURL | trimSuffix "/" -}}
{{- else if $server.host -}}
{{- printf "%s://%s" $scheme $server.host -}}
{{- else -}}
{{- /* Inside the cluster the Service itself is reached: HTTPS only when the gateway serves it. */ -}}
{{- $scheme = ternary "https" "http" (eq (include "kargo-webhook-gateway.servesTLS" .) "true") -}}
{{- $port := include "kargo-webhook-gateway.servicePort" . | int -}}
{{- $address := printf "%s.%s.svc" (include "kargo-webhook-gateway.fullname" .) .Release.Namespace -}}
{{- if or (and (eq $scheme "http") (eq $port 80)) (and (eq $scheme "https") (eq $port 443)) -}}
{{- printf "%s://%s" $scheme $address -}}
{{- else -}}
{{- printf "%s://%s:%d" $scheme $address $port -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
shutdownTimeout in whole seconds, rounded up. Accepts what the gateway
accepts: a number followed by ms, s, m, h or nothing (seconds).
*/}}
{{- define "kargo-webhook-gateway.shutdownSeconds" -}}
{{- $text := .Values.externalWebhooksServer.shutdownTimeout | toString | trim -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $text -}}
{{- $unit := trimPrefix $number $text | trim -}}
{{- $factors := dict "" 1.0 "s" 1.0 "ms" 0.001 "m" 60.0 "h" 3600.0 -}}
{{- if or (not $number) (not (hasKey $factors $unit)) -}}
{{- fail (printf "externalWebhooksServer.shutdownTimeout %q is not a duration such as 15s, 2500ms or 1m" $text) -}}
{{- end -}}
{{- mulf (float64 $number) (get $factors $unit) | ceil | int -}}
{{- end -}}

{{/*
The Pod's grace period: the preStop sleep, then the gateway's own shutdown
timeout for in-flight deliveries, then 10 s for releasing the Lease and
stopping the admin server. The kubelet kills the container after it.
*/}}
{{- define "kargo-webhook-gateway.terminationGracePeriodSeconds" -}}
{{- $preStop := int .Values.externalWebhooksServer.preStopSleepSeconds -}}
{{- add $preStop (include "kargo-webhook-gateway.shutdownSeconds" . | int) 10 -}}
{{- end -}}
