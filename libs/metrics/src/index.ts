/** Prometheus metrics of every Bridge process: the registry, the catalogue, sampled gauges. */
export {
  BridgeMetrics,
  ScrapedGauge,
  labelMetricsWithService,
  metricsRegistry,
  type GaugeSample,
  type GaugeSource,
} from './bridge-metrics';
export {
  OperationsSnapshotSchema,
  histogramQuantile,
  readMetrics,
  snapshotBetween,
  type MetricsReading,
  type OperationsSnapshot,
  type WorkWindow,
} from './operations-snapshot';
