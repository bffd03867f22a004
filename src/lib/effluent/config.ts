/** Everything a user may tune about the effluent pipeline, with units in the names. */
export interface EffluentConfig {
  /** Inlet COD at or above this opens a shock (MPCB consent limit at the CETP inlet). */
  thresholdMgL: number;
  /** Minutes below threshold that still belong to the same shock (sensor gaps, jitter). */
  mergeGapMinutes: number;
  /**
   * Shock levels: the peak against the larger of the consent limit (`thresholdMgL`) and the site's
   * own inlet baseline (median inlet COD), so a level means "this far over the limit, and this far
   * over what this site normally sends". LOW below levelMediumMultiple × that reference (a breach at
   * the noise level), MEDIUM from it, HIGH from levelHighMultiple, CRITICAL from levelCriticalMultiple.
   */
  levelMediumMultiple: number;
  levelHighMultiple: number;
  levelCriticalMultiple: number;
  /** Travel times searched by cross-correlation, in minutes. */
  maxTravelMinutes: number;
  /** Trailing window of a factory's own history used as its baseline (median / MAD). */
  baselineWindowMinutes: number;
  /** Minutes around the factory-side onset (shock start minus travel time) searched for the excursion. */
  onsetToleranceMinutes: number;
  /** Evidence bar: the best factory's robust z must reach this… */
  minRobustZ: number;
  /** …and beat the runner-up by this factor, otherwise the shock stays unattributed. */
  minMarginRatio: number;
  /** The reference method: look back this far from the shock start… */
  fixedLookbackMinutes: number;
  /** …and take factory readings within ± this window. */
  fixedToleranceMinutes: number;
  /** Tamper: a run of identical readings this long is a frozen sensor. */
  frozenMinutes: number;
  /**
   * Tamper: a factory's own silence (no COD reading while the plant's logger or another feed
   * reports) is a BLACKOUT once it misses this many of its own readings (at its own cadence) and
   * lasts at least blackoutMinMinutes…
   */
  blackoutMissedReadings: number;
  blackoutMinMinutes: number;
  /** …or, when the silence overlaps a shock's search window for that factory, this many and this long. */
  blackoutShockMissedReadings: number;
  blackoutShockMinMinutes: number;
  /**
   * A factory whose COD readings fall in fewer than this share of the hours the site reported cannot
   * be monitored: one TOO_FEW_READINGS finding, no silence rules, left out of attribution (coverage.ts).
   */
  monitorMinCoverage: number;
  /** A hole shared by the export and every feed (the logger down) is one SITE_OUTAGE from this long. */
  siteOutageMinMinutes: number;
  /** Tamper: COD this far below its baseline (fraction) while TSS holds within tssToleranceFraction. */
  dilutionDropFraction: number;
  tssToleranceFraction: number;
  dilutionMinMinutes: number;
  /** Tamper: this many consecutive readings equal to another series (or its own past) is a copy. */
  fingerprintReadings: number;
  /** Local time of the MPCB export and factory feeds (IST). */
  utcOffsetMinutes: number;
  /** The analysis covers at most this many days, the most recent: bounds the work any file can cause. */
  maxSpanDays: number;
}

export const defaultEffluentConfig: EffluentConfig = {
  thresholdMgL: 200,
  mergeGapMinutes: 3,
  levelMediumMultiple: 1.1,
  levelHighMultiple: 1.25,
  levelCriticalMultiple: 2,
  maxTravelMinutes: 60,
  baselineWindowMinutes: 360,
  onsetToleranceMinutes: 6,
  minRobustZ: 6,
  minMarginRatio: 1.5,
  fixedLookbackMinutes: 15,
  fixedToleranceMinutes: 2,
  frozenMinutes: 45,
  blackoutMissedReadings: 8,
  blackoutMinMinutes: 20,
  blackoutShockMissedReadings: 5,
  blackoutShockMinMinutes: 15,
  monitorMinCoverage: 0.1,
  siteOutageMinMinutes: 10,
  dilutionDropFraction: 0.8,
  tssToleranceFraction: 0.3,
  dilutionMinMinutes: 30,
  fingerprintReadings: 40,
  utcOffsetMinutes: 330,
  maxSpanDays: 400
};
