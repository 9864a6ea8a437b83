/** Deployment tuning for the proxies istiod deploys for a Gateway (waypoints and ingress gateways). */
import { Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { constructError } from './_validation';
import type { GatewayDeploymentOptions } from './waypoint';

function checkCount(scope: IConstruct, what: string, value: number, min: number, max?: number): void {
  if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const range = max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
    throw constructError(scope, `${what} is ${value}; it must be ${range}.`);
  }
}

/** The ConfigMap data istiod merges (strategic merge patch) into the waypoint's generated objects. */
export function renderDeploymentTuning(scope: IConstruct, props: GatewayDeploymentOptions): { [key: string]: string } | undefined {
  const data: { [key: string]: string } = {};
  if (props.replicas !== undefined && props.autoscaling) {
    throw constructError(scope, 'set either `replicas` or `autoscaling`, not both: the HorizontalPodAutoscaler owns the replica count.');
  }
  const deployment: any = {};
  if (props.replicas !== undefined) {
    checkCount(scope, 'replicas', props.replicas, 1);
    deployment.spec = { replicas: props.replicas };
  }
  if (props.resources) {
    const resources = renderResources(props.resources);
    if (resources) {
      deployment.spec = { ...deployment.spec, template: { spec: { containers: [{ name: 'istio-proxy', resources }] } } };
    }
  }
  if (deployment.spec) data.deployment = Yaml.stringify(deployment);

  if (props.autoscaling) {
    const min = props.autoscaling.minReplicas ?? 1;
    const max = props.autoscaling.maxReplicas;
    const target = props.autoscaling.targetCpuUtilizationPercent ?? 80;
    checkCount(scope, 'autoscaling.minReplicas', min, 1);
    checkCount(scope, 'autoscaling.maxReplicas', max, 1);
    checkCount(scope, 'autoscaling.targetCpuUtilizationPercent', target, 1, 100);
    if (min > max) {
      throw constructError(scope, `autoscaling.minReplicas (${min}) is greater than maxReplicas (${max}); raise maxReplicas or lower minReplicas.`);
    }
    data.horizontalPodAutoscaler = Yaml.stringify({
      spec: {
        minReplicas: min,
        maxReplicas: max,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
      },
    });
  }

  if (props.podDisruptionBudget) {
    const { minAvailable, maxUnavailable } = props.podDisruptionBudget;
    if ((minAvailable === undefined) === (maxUnavailable === undefined)) {
      throw constructError(scope, 'podDisruptionBudget needs exactly one of `minAvailable` or `maxUnavailable`.');
    }
    if (minAvailable !== undefined) checkCount(scope, 'podDisruptionBudget.minAvailable', minAvailable, 0);
    if (maxUnavailable !== undefined) checkCount(scope, 'podDisruptionBudget.maxUnavailable', maxUnavailable, 0);
    data.podDisruptionBudget = Yaml.stringify({ spec: minAvailable !== undefined ? { minAvailable } : { maxUnavailable } });
  }
  return Object.keys(data).length > 0 ? data : undefined;
}

export function renderResources(resources: kplus.ContainerResources): any {
  const requests: { [key: string]: string } = {};
  const limits: { [key: string]: string } = {};
  if (resources.cpu?.request) requests.cpu = resources.cpu.request.amount;
  if (resources.cpu?.limit) limits.cpu = resources.cpu.limit.amount;
  if (resources.memory?.request) requests.memory = `${resources.memory.request.toMebibytes()}Mi`;
  if (resources.memory?.limit) limits.memory = `${resources.memory.limit.toMebibytes()}Mi`;
  if (resources.ephemeralStorage?.request) requests['ephemeral-storage'] = `${resources.ephemeralStorage.request.toGibibytes()}Gi`;
  if (resources.ephemeralStorage?.limit) limits['ephemeral-storage'] = `${resources.ephemeralStorage.limit.toGibibytes()}Gi`;
  const out: any = {};
  if (Object.keys(limits).length > 0) out.limits = limits;
  if (Object.keys(requests).length > 0) out.requests = requests;
  return Object.keys(out).length > 0 ? out : undefined;
}

