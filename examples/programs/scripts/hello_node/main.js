// A Node.js program: arguments from config.yaml's `parameters`, PARAM_* from the request.
const args = process.argv.slice(2);
console.log(`👋 hello_node ${process.env.EXECUTION_ID ?? ''}`);
console.log(`arguments: ${JSON.stringify(args)}`);
for (const [key, value] of Object.entries(process.env).filter(([key]) => key.startsWith('PARAM_')).sort()) {
  console.log(`${key}=${value}`);
}
