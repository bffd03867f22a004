import type {CetpReading} from "./types.js";

/** The MPCB export's header, exactly, mapped to `cetp_readings` columns: the one place it lives. */
export const MPCB_COLUMNS: readonly {header: string; column: keyof CetpReading | "s_no"}[] = [
  {header: "S. No", column: "s_no"},
  {header: "Time", column: "ts"},
  {header: "CETP_INLET-COD - (mg/l) Raw", column: "inlet_cod"},
  {header: "CETP_INLET-BOD - (mg/l) Raw", column: "inlet_bod"},
  {header: "CETP_INLET-pH - (pH) Raw", column: "inlet_ph"},
  {header: "CETP_INLET-TSS - (mg/l) Raw", column: "inlet_tss"},
  {header: "CETP_OUTLET-COD - (mg/l) Raw", column: "outlet_cod"},
  {header: "CETP_OUTLET-BOD - (mg/l) Raw", column: "outlet_bod"},
  {header: "CETP_OUTLET-pH - (pH) Raw", column: "outlet_ph"},
  {header: "CETP_OUTLET-TSS - (mg/l) Raw", column: "outlet_tss"}
];

/** The factory feed's header. */
export const FACTORY_COLUMNS = ["s_no", "time", "factory_id", "cod", "bod", "ph", "tss"] as const;

export const MEASURES = [
  "inlet_cod",
  "inlet_bod",
  "inlet_ph",
  "inlet_tss",
  "outlet_cod",
  "outlet_bod",
  "outlet_ph",
  "outlet_tss"
] as const;

/** The factory feed's fields a site may name otherwise (dataset.json `factoryColumns`). */
export const FACTORY_FIELDS = ["time", "factory_id", "cod", "bod", "ph", "tss"] as const;
export type FactoryField = (typeof FACTORY_FIELDS)[number];
