{{/*
Helpers shared by every template. The templates range over the components that
"prasar.collectComponents" returns: each enabled entry of .Values.components laid over
.Values.componentDefaults, with its `name` added.
*/}}

{{- define "prasar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "prasar.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's objects: <fullname>-<component>. Args: root, name. */}}
{{- define "prasar.componentName" -}}
{{- printf "%s-%s" (include "prasar.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "prasar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select a component's pods. Args: root, component (a name). */}}
{{- define "prasar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "prasar.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every object's labels. Args: root, component (a name). */}}
{{- define "prasar.labels" -}}
helm.sh/chart: {{ include "prasar.chart" .root }}
{{ include "prasar.selectorLabels" . }}
app.kubernetes.io/part-of: prasar
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Labels of a pod template: no chart version, so that upgrading the chart alone restarts nothing.
Args: root, component (a name).
*/}}
{{- define "prasar.podLabels" -}}
{{ include "prasar.selectorLabels" . }}
app.kubernetes.io/part-of: prasar
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of every pod of the release (what the deny-all policy selects). */}}
{{- define "prasar.releaseSelector" -}}
app.kubernetes.io/name: {{ include "prasar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Lays `src` over `dst` in place, key by key: maps merge recursively, anything else (lists too)
replaces. Unlike sprig's merge/mergeOverwrite, an explicit false or 0 in `src` wins over a default.
Args: dst, src.
*/}}
{{- define "prasar.mergeInto" -}}
{{- $dst := .dst -}}
{{- range $key, $value := .src -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) -}}
{{- include "prasar.mergeInto" (dict "dst" (get $dst $key) "src" $value) -}}
{{- else -}}
{{- $_ := set $dst $key (deepCopy $value) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Fills `out` with the enabled components, name → merged definition, and checks what the schema
cannot (cross-field rules). Args: root, out.
*/}}
{{- define "prasar.collectComponents" -}}
{{- $root := .root -}}
{{- range $name, $entry := $root.Values.components -}}
{{- $c := deepCopy $root.Values.componentDefaults -}}
{{- include "prasar.mergeInto" (dict "dst" $c "src" (default dict $entry)) -}}
{{- if $c.enabled -}}
{{- $_ := set $c "name" $name -}}
{{- if not $c.port -}}
{{- fail (printf "components.%s.port is required" $name) -}}
{{- end -}}
{{- with $c.database -}}
{{- if and (not .url) (not .existingSecret) -}}
{{- fail (printf "components.%s.database: set url, or existingSecret naming a Secret that holds it" $name) -}}
{{- end -}}
{{- if and .url .existingSecret -}}
{{- fail (printf "components.%s.database: set url or existingSecret, not both" $name) -}}
{{- end -}}
{{- if and .migrationUrl .migrationExistingSecret -}}
{{- fail (printf "components.%s.database: set migrationUrl or migrationExistingSecret, not both" $name) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $.out $name $c -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Checks the values every component needs. Args: root. */}}
{{- define "prasar.requireGlobals" -}}
{{- if not .Values.kafka.brokers -}}
{{- fail "kafka.brokers is required (host:port[,host:port...] of the Kafka bootstrap brokers)" -}}
{{- end -}}
{{- if not .Values.auth.jwksUrl -}}
{{- fail "auth.jwksUrl is required (the OIDC issuer's JWKS URL)" -}}
{{- end -}}
{{- if or (not .Values.auth.issuer) (not .Values.auth.audience) -}}
{{- fail "auth.issuer and auth.audience are required (the iss and aud every token must carry)" -}}
{{- end -}}
{{- with .Values.auth.introspection -}}
{{- if and .url (or (not .clientId) (not .existingSecret)) -}}
{{- fail "auth.introspection.url needs auth.introspection.clientId and auth.introspection.existingSecret (the client's secret)" -}}
{{- end -}}
{{- end -}}
{{- with .Values.auth.directory -}}
{{- if and (ne .type "none") (or (not .url) (not .realm) (not .clientId) (not .existingSecret)) -}}
{{- fail "auth.directory.type keycloak needs auth.directory.url, realm, clientId and existingSecret" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's image reference. Args: root, c. */}}
{{- define "prasar.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := .c.image.repository | default (printf "%s/%s%s" $img.registry $img.repositoryPrefix .c.name) -}}
{{- $tag := .c.image.tag | default $img.tag | default .root.Chart.AppVersion -}}
{{- if .c.image.digest -}}
{{- printf "%s:%s@%s" $repo $tag .c.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end -}}

{{- define "prasar.serviceAccountName" -}}
{{- .c.serviceAccount.name | default (include "prasar.componentName" (dict "root" .root "name" .c.name)) -}}
{{- end -}}

{{/* The Secret and key holding a component's DATABASE_URL at run time. Args: root, c. */}}
{{- define "prasar.databaseSecretName" -}}
{{- .c.database.existingSecret | default (printf "%s-db" (include "prasar.componentName" (dict "root" .root "name" .c.name))) -}}
{{- end -}}
{{- define "prasar.databaseSecretKey" -}}
{{- if .c.database.existingSecret -}}{{ .c.database.existingSecretKey | default "DATABASE_URL" }}{{- else -}}DATABASE_URL{{- end -}}
{{- end -}}

{{/* The Secret the migration hook reads a component's URL from (hooks run before release objects exist). */}}
{{- /* Migrations run as the owner role (migrationUrl / migrationExistingSecret); without one, as the service's role. */ -}}
{{- define "prasar.migrationSecretName" -}}
{{- $d := .c.database -}}
{{- if $d.migrationExistingSecret -}}{{ $d.migrationExistingSecret }}
{{- else if or $d.migrationUrl (not $d.existingSecret) -}}{{ printf "%s-migrations" (include "prasar.fullname" .root) }}
{{- else -}}{{ $d.existingSecret }}{{- end -}}
{{- end -}}
{{- define "prasar.migrationSecretKey" -}}
{{- $d := .c.database -}}
{{- if $d.migrationExistingSecret -}}{{ $d.migrationExistingSecretKey | default "DATABASE_URL" }}
{{- else if or $d.migrationUrl (not $d.existingSecret) -}}{{ .c.name }}
{{- else -}}{{ $d.existingSecretKey | default "DATABASE_URL" }}{{- end -}}
{{- end -}}

{{/* Pod-level security context. Args: c. */}}
{{- define "prasar.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .c.securityContext.runAsUser | int }}
runAsGroup: {{ .c.securityContext.runAsGroup | int }}
fsGroup: {{ .c.securityContext.runAsGroup | int }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context. Args: c. */}}
{{- define "prasar.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .c.securityContext.runAsUser | int }}
runAsGroup: {{ .c.securityContext.runAsGroup | int }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment every process of the release gets. Args: root, c, serviceName. */}}
{{- define "prasar.baseEnv" -}}
- name: PRASAR_ENV
  value: {{ .root.Values.environment | quote }}
- name: LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ .serviceName | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef: { fieldPath: metadata.name }
- name: POD_NAMESPACE
  valueFrom:
    fieldRef: { fieldPath: metadata.namespace }
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE)"
{{- with .root.Values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* A NetworkPolicy rule's peers; a dependency that lists none is refused. Args: peers, what. */}}
{{- define "prasar.requirePeers" -}}
{{- if not .peers -}}
{{- fail (printf "networkPolicy.%s is empty: list where it is (ipBlock, namespaceSelector, podSelector), or set networkPolicy.enabled=false" .what) -}}
{{- end -}}
{{- toYaml .peers -}}
{{- end -}}

{{/* Annotations of a hook object. Args: weight. */}}
{{- define "prasar.hookAnnotations" -}}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end -}}
