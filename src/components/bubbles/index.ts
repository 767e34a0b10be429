export { CardBody } from './CardBody';
export { FileBody } from './FileBody';
export { GeoBody } from './GeoBody';
export { ImageBody } from './ImageBody';
export { TextBody } from './TextBody';
export { VideoBody } from './VideoBody';
export { VoiceBody } from './VoiceBody';
