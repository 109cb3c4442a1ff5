// The DeviceScript program with the default model (784-128-64-10): what `npm start` runs and a
// board gets. The program itself is src/app.ts; src/generated/models/<name>.main.ts run the other models
// (without the sample digits: the larger models leave no room for them in a 100 KB image).
import { PROGRAM_MODEL } from "./generated/models/default";
import { SAMPLE_DIGITS } from "./generated/digits";
import { runApp } from "./app";

await runApp(PROGRAM_MODEL, SAMPLE_DIGITS);
