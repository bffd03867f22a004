import {existsSync, readFileSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {HttpError} from "./http-error.js";
import {fileBytes, fsyncAppend} from "./mpcb-upload.js";

export interface SiteState {
  serverConfigLastUpdatedTime: string;
  siteConfig?: unknown;
  configSynchronized: boolean;
  calibrationSynchronized: boolean;
}

export type SiteRoute =
  | "getConfig"
  | "uploadConfig"
  | "completedConfig"
  | "getcalibrationconfig"
  | "updatecalibrationconfig"
  | "uploadDiagnosticInfo";

function jsonObject(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString("utf-8"));
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch (error) {
    throw new HttpError(400, `request body is not a JSON object (${(error as Error).message})`);
  }
}

function requireSite(payload: Record<string, unknown>, siteId: string, field = "siteId"): void {
  const details = payload.SiteDetails;
  const claimed =
    payload[field] ?? (details && typeof details === "object" ? (details as {siteId?: unknown}).siteId : undefined);
  if (typeof claimed !== "string" || !claimed) throw new HttpError(400, `missing "${field}"`);
  if (claimed !== siteId)
    throw new HttpError(403, `siteId "${claimed.slice(0, 64)}" does not match the authenticated site "${siteId}"`);
}

/**
 * The MPCB routes other than uploads: configuration and calibration handshakes (kept per site in
 * `<stateDir>/<site>.json`) and diagnostics (appended to `<stateDir>/<site>-diagnostics.jsonl`
 * within the site's quota).
 */
export class SiteRoutes {
  constructor(private readonly options: {stateDir: string; now: () => Date; diagnosticsQuotaBytes: number}) {}

  private statePath(siteId: string): string {
    return join(this.options.stateDir, `${siteId}.json`);
  }

  readState(siteId: string): SiteState {
    return existsSync(this.statePath(siteId))
      ? (JSON.parse(readFileSync(this.statePath(siteId), "utf-8")) as SiteState)
      : {
          serverConfigLastUpdatedTime: this.options.now().toISOString(),
          configSynchronized: false,
          calibrationSynchronized: false
        };
  }

  private writeState(siteId: string, state: SiteState): void {
    writeFileSync(this.statePath(siteId), JSON.stringify(state, null, 2));
  }

  /** The answer to one authenticated request on `route`. */
  answer({route, raw, siteId}: {route: SiteRoute; raw: Buffer; siteId: string}): object {
    const {stateDir, now, diagnosticsQuotaBytes} = this.options;
    const payload = jsonObject(raw);
    const state = this.readState(siteId);
    switch (route) {
      case "getConfig":
        requireSite(payload, siteId);
        return {
          status: "Success",
          serverConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
          SiteDetails: {
            siteName: siteId,
            siteLabel: siteId,
            siteId,
            siteConfigLastUpdatedTime: state.serverConfigLastUpdatedTime,
            customparameters: {}
          },
          CollectorDetails: [],
          configJson: {},
          AcquisitionSystemDetails: {AcquisitionVersion: "2.3", AcquisitionSystem: "Pipeline Lab"}
        };
      case "uploadConfig":
        requireSite(payload, siteId);
        if (payload.Command !== "ConfigFetch") throw new HttpError(400, `"Command" must be "ConfigFetch"`);
        this.writeState(siteId, {...state, siteConfig: payload});
        return {status: "Success", configUpdateStatus: "Received Site configuration successfully"};
      case "completedConfig":
        requireSite(payload, siteId);
        if (payload.ConfigUpdated !== "True") throw new HttpError(400, `"ConfigUpdated" must be "True"`);
        this.writeState(siteId, {...state, configSynchronized: true});
        return {status: "Success", calibrationUpdateStatus: "Server and Site Configuration Synchronized"};
      case "getcalibrationconfig":
        requireSite(payload, siteId);
        if (!["Scheduled", "Immediate"].includes(String(payload.CalibrationType)))
          throw new HttpError(400, `"CalibrationType" must be "Scheduled" or "Immediate"`);
        return {
          status: "Success",
          calibration: {
            siteId,
            calibratorName: "zero-span",
            frequency: "weekly",
            sequence: [
              {
                function: "zero",
                duration_secs: "300",
                value: "0",
                sequenceName: "zero",
                type: String(payload.CalibrationType)
              }
            ],
            execute_Immediate: payload.CalibrationType === "Immediate" ? "True" : "False"
          }
        };
      case "updatecalibrationconfig":
        requireSite(payload, siteId);
        this.writeState(siteId, {...state, calibrationSynchronized: true});
        return {status: "Success", calibrationUpdateStatus: "Server and Site Calibration Synchronized"};
      case "uploadDiagnosticInfo": {
        requireSite(payload, siteId);
        if (payload.Command !== "DiagnosticFetch" || !Array.isArray(payload.diagnosticJson))
          throw new HttpError(400, `expected "Command": "DiagnosticFetch" and a "diagnosticJson" array`);
        const diagnostics = join(stateDir, `${siteId}-diagnostics.jsonl`);
        const record = JSON.stringify({received_at: now().toISOString(), ...payload}) + "\n";
        if (fileBytes(diagnostics) + Buffer.byteLength(record) > diagnosticsQuotaBytes)
          throw new HttpError(
            507,
            `site ${siteId}'s stored diagnostics would pass their quota of ${diagnosticsQuotaBytes} bytes`
          );
        fsyncAppend(diagnostics, record);
        return {status: "Success", diagnosticUpdateStatus: "Received Site diagnostics successfully"};
      }
    }
  }
}
