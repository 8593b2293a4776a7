import http from 'k6/http';
import { sleep } from 'k6';
export const options = { vus: 2, duration: '2s' };
export default function () {
  http.get('http://127.0.0.1:18777/');
  if (__ITER % 10 === 0) { http.get('http://127.0.0.1:18777/error500'); }
  sleep(0.1);
}
export function handleSummary(data) {
  return { [__ENV.SUMMARY]: JSON.stringify(data, null, 2) };
}
