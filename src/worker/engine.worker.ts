// The worker entry: exposes an Engine over comlink, and nothing else.
import * as Comlink from 'comlink';
import { Engine } from './engine';

Comlink.expose(new Engine());
