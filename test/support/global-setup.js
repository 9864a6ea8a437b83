// Jest global setup: the tests admit objects with the shared crdcheck tool (shared/tools/crdcheck),
// whose two npm dependencies a fresh machine does not have yet. Install them once, so `npm test` works
// in a fresh clone as the README says.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

function sharedRoot() {
  if (process.env.CRDCHECK_ROOT) return process.env.CRDCHECK_ROOT;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    dir = path.resolve(dir, '..');
    if (fs.existsSync(path.join(dir, 'shared', 'tools', 'crdcheck', 'crdcheck.mjs'))) return path.join(dir, 'shared');
  }
  return undefined;
}

module.exports = async () => {
  const shared = sharedRoot();
  if (!shared) return; // the tests that need it say so
  const tool = path.join(shared, 'tools', 'crdcheck');
  if (fs.existsSync(path.join(tool, 'node_modules', 'yaml', 'package.json'))) return;
  execFileSync('npm', ['ci', '--prefix', tool, '--no-audit', '--no-fund'], { stdio: 'inherit' });
};
