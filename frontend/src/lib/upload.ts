import { API_BASE, ApiError } from '../api/client';
import type { Problem } from '../api/types';

/** Progress of an upload: bytes sent of total; done when the server has everything and is answering. */
export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * uploadRaw PUTs bytes to the management API with XMLHttpRequest, whose
 * upload events report progress (fetch has none), and decodes the answer as
 * the API client does: JSON, or an ApiError carrying the problem. The token
 * is the session's (useSession().token).
 */
export function uploadRaw<T>(path: string, data: Blob, type: string, token: string | null, onProgress: (p: UploadProgress) => void, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', API_BASE + path);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Content-Type', type);
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : data.size });
    xhr.upload.onload = () => onProgress({ sent: data.size, total: data.size });
    xhr.onerror = () => reject(new ApiError({ status: 0, title: 'Network error', detail: 'The management API could not be reached.' }));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else
        reject(
          new ApiError(body && typeof body === 'object' ? { status: xhr.status, ...(body as Partial<Problem>) } : { status: xhr.status, title: xhr.statusText || `HTTP ${xhr.status}` }),
        );
    };
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(data);
  });
}
