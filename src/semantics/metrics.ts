/**
 * Telemetry `metrics` in ambient: pure rules, no cdk8s. Sources (Istio 1.30.3):
 *
 * - istiod turns Telemetry metrics into the Envoy `istio.stats` filter only
 *   (`pilot/pkg/model/telemetry.go`); nothing is sent to ztunnel, so ztunnel's `istio_tcp_*` metrics
 *   cannot be renamed, dropped or re-tagged.
 * - Waypoint listeners are built as sidecar-inbound (`listener_waypoint.go`), and
 *   `MetricsForClass(SidecarInbound)` takes the SERVER-mode configuration: a `CLIENT` override never
 *   reaches a waypoint. Gateways use CLIENT. Waypoints report `reporter="waypoint"`.
 * - tests/integration/ambient/baseline_test.go TestCustomizeMetrics: a Telemetry with `targetRefs` to a
 *   Service-addressed waypoint's Service, REQUEST_COUNT, `custom_dimension` upserted and
 *   `source_principal` removed, shows up on the waypoint's `istio_requests_total`.
 */

/** The Istio standard metrics (`match.metric`) and the Prometheus names they produce. */
export const ISTIO_STANDARD_METRICS: { [metric: string]: string } = {
  REQUEST_COUNT: 'istio_requests_total',
  REQUEST_DURATION: 'istio_request_duration_milliseconds',
  REQUEST_SIZE: 'istio_request_bytes',
  RESPONSE_SIZE: 'istio_response_bytes',
  TCP_OPENED_CONNECTIONS: 'istio_tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'istio_tcp_connections_closed_total',
  TCP_SENT_BYTES: 'istio_tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'istio_tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'istio_request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'istio_response_messages_total',
};

/** Which traffic direction a waypoint's metrics are generated for. */
export const WAYPOINT_METRICS_MODE = 'SERVER';

/** Whether an override with this `match.mode` reaches a waypoint (`CLIENT_AND_SERVER` when unset). */
export function overrideReachesWaypoint(mode: string | undefined): boolean {
  return (mode ?? 'CLIENT_AND_SERVER') !== 'CLIENT';
}

/** Tag names Istio metrics accept in `tagOverrides`: Prometheus label names. */
export function isMetricTagName(tag: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(tag);
}
