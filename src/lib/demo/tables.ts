import {columns, type TableDeclaration} from "../domain.js";

export const demoTables: TableDeclaration[] = [
  {
    name: "random_walks",
    description: "one row per walk and step: walk, step, value",
    columns: columns("walk:VARCHAR", "step:INTEGER", "value:DOUBLE")
  }
];
