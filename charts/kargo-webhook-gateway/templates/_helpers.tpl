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

{{/*
The URL senders reach the webhook server at, without the base path:
externalURL if set; else https://host when TLS ends at the chart's Ingress or
upstream, http://host otherwise; else (no host) the webhook Service's address
inside the cluster.
*/}}
{{- define "kargo-webhook-gateway.externalURL" -}}
{{- $server := .Values.externalWebhooksServer -}}
{{- if $server.externalURL -}}
{{- $server.externalURL | trimSuffix "/" -}}
{{- else if $server.host -}}
{{- $tls := or (and $server.ingress.enabled $server.ingress.tls.enabled) $server.tls.terminatedUpstream -}}
{{- printf "%s://%s" (ternary "https" "http" $tls) $server.host -}}
{{- else -}}
{{- $port := int $server.service.port -}}
{{- $address := printf "%s.%s.svc" (include "kargo-webhook-gateway.fullname" .) .Release.Namespace -}}
{{- if eq $port 80 -}}
{{- printf "http://%s" $address -}}
{{- else -}}
{{- printf "http://%s:%d" $address $port -}}
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
