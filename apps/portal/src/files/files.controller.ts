import { Body, Controller, Delete, Get, Headers, HttpCode, HttpException, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { UuidParamPipe } from '../common/validation';
import type { ContactRef } from '../contacts/contacts.service';
import { CurrentPeer, PeerCall } from '../contacts/peer-call.decorator';
import {
  FederationFileOfferDto,
  FederationFileStateDto,
  FileChunkReceiptDto,
  FileCreateDto,
  FileListQueryDto,
  FileListResponseDto,
  FileResponseDto,
} from './dto/file.dto';
import { type ChunkUpload, FilesService } from './files.service';

const CHUNK_BODY = { schema: { type: 'string', format: 'binary' }, description: 'The chunk bytes (application/octet-stream).' } as const;
const CHUNK_HASH = { name: 'X-Chunk-Sha256', required: true, description: 'SHA-256 of the chunk, 64 hex characters.' } as const;

/** The chunk upload as the fastify parser handed it over: the request stream itself, never buffered. */
function chunkUpload(request: FastifyRequest, index: string): ChunkUpload {
  if (!(request.body instanceof Readable)) {
    throw new HttpException(
      { statusCode: 415, error: 'Unsupported Media Type', message: 'Send the chunk as Content-Type: application/octet-stream' },
      415,
    );
  }
  return { index, sha256: request.headers['x-chunk-sha256'], contentLength: request.headers['content-length'], body: request.body };
}

@ApiTags('files')
@Controller('api')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post('files')
  @HttpCode(201)
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Start sending a file to a contact',
    description:
      'Returns the upload: its id, the chunk size and the number of chunks. Then PUT each chunk; the Portal relays the chunks to the contact as they arrive, and lets the contact verify the file once all are here and the whole file matches sha256. Reusing an id returns the same upload.',
  })
  @ApiCreatedResponse({ type: FileResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown contact.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Contact not active, or id reused for a different file.', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'Bigger than PORTAL_MAX_FILE_BYTES.', type: ErrorResponseDto })
  @ApiResponse({ status: 507, description: "Over the contact's quota or the free-disk floor.", type: ErrorResponseDto })
  createFileUpload(@Body() body: FileCreateDto): Promise<FileResponseDto> {
    return this.files.create(body);
  }

  @Get('files')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Files sent and received', description: 'Newest first.' })
  @ApiOkResponse({ type: FileListResponseDto })
  listFiles(@Query() query: FileListQueryDto): Promise<FileListResponseDto> {
    return this.files.list(query);
  }

  @Get('files/:id')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'One file: status, chunks received, delivery state' })
  @ApiOkResponse({ type: FileResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getFile(@Param('id', UuidParamPipe) id: string): Promise<FileResponseDto> {
    return this.files.get(id);
  }

  @Put('files/:id/chunks/:index')
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Upload one chunk of a file being sent',
    description:
      'Chunk i holds bytes [i × chunkSize, (i+1) × chunkSize). Streamed to disk; kept only when its length and X-Chunk-Sha256 match. Sending a stored chunk again changes nothing.',
  })
  @ApiConsumes('application/octet-stream')
  @ApiBody(CHUNK_BODY)
  @ApiHeader(CHUNK_HASH)
  @ApiOkResponse({ type: FileChunkReceiptDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'More bytes than this chunk holds.', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({
    description: 'The chunk (or, for the last one, the whole file) does not match its SHA-256.',
    type: ErrorResponseDto,
  })
  @ApiResponse({ status: 507, description: 'Below the free-disk floor.', type: ErrorResponseDto })
  uploadFileChunk(
    @Param('id', UuidParamPipe) id: string,
    @Param('index') index: string,
    @Req() request: FastifyRequest,
  ): Promise<FileChunkReceiptDto> {
    return this.files.uploadChunk(id, chunkUpload(request, index));
  }

  @Get('files/:id/content')
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Download a file',
    description: 'Streams the content; supports one Range (bytes=a-b, a-, -n). Content-Disposition carries the UTF-8 name (RFC 6266/5987).',
  })
  @ApiProduces('application/octet-stream')
  @ApiHeader({ name: 'Range', required: false, description: 'bytes=start-end' })
  @ApiOkResponse({ description: 'The whole file.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 206, description: 'The range asked for.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 416, description: 'The range cannot be served.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Not complete yet, or no longer stored.', type: ErrorResponseDto })
  async downloadFile(
    @Param('id', UuidParamPipe) id: string,
    @Headers('range') range: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const content = await this.files.content(id, range);
    reply.status(content.status).headers(content.headers);
    await reply.send(content.stream ?? '');
  }

  @Delete('files/:id')
  @HttpCode(204)
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Delete a file', description: 'Removes the record and the bytes; a transfer in progress stops.' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  deleteFile(@Param('id', UuidParamPipe) id: string): Promise<void> {
    return this.files.remove(id);
  }

  @Post('federation/files')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({ summary: 'A contact offers a file', description: 'Idempotent by id; answers which chunks are already here.' })
  @ApiOkResponse({ type: FederationFileStateDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiResponse({ status: 507, description: "Over the contact's quota or the free-disk floor.", type: ErrorResponseDto })
  offerFederationFile(@CurrentPeer() peer: ContactRef, @Body() body: FederationFileOfferDto): Promise<FederationFileStateDto> {
    return this.files.offer(peer, body);
  }

  @Put('federation/files/:id/chunks/:index')
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({ summary: 'A contact sends one chunk of an offered file', description: 'Kept only when length and X-Chunk-Sha256 match.' })
  @ApiConsumes('application/octet-stream')
  @ApiBody(CHUNK_BODY)
  @ApiHeader(CHUNK_HASH)
  @ApiOkResponse({ type: FederationFileStateDto })
  @ApiUnprocessableEntityResponse({ type: ErrorResponseDto })
  receiveFederationFileChunk(
    @CurrentPeer() peer: ContactRef,
    @Param('id', UuidParamPipe) id: string,
    @Param('index') index: string,
    @Req() request: FastifyRequest,
  ): Promise<FederationFileStateDto> {
    return this.files.receiveChunk(peer, id, chunkUpload(request, index));
  }

  @Post('federation/files/:id/complete')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({
    summary: 'A contact has sent every chunk: verify the whole file',
    description:
      'Answers status received, or receiving with the chunks still missing; 422 when the whole-file SHA-256 does not match (the transfer fails).',
  })
  @ApiOkResponse({ type: FederationFileStateDto })
  @ApiUnprocessableEntityResponse({ type: ErrorResponseDto })
  completeFederationFile(@CurrentPeer() peer: ContactRef, @Param('id', UuidParamPipe) id: string): Promise<FederationFileStateDto> {
    return this.files.complete(peer, id);
  }

  @Delete('federation/files/:id')
  @HttpCode(204)
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({
    summary: 'A contact cancels a file it was sending',
    description:
      'The sender relays chunks while its agent still uploads; when its own check of the whole file fails, or the file is deleted there, it cancels. An incomplete copy fails here (file.failed) and its bytes are removed; a received file stays. Idempotent: an unknown id changes nothing.',
  })
  @ApiNoContentResponse()
  cancelFederationFile(@CurrentPeer() peer: ContactRef, @Param('id', UuidParamPipe) id: string): Promise<void> {
    return this.files.cancel(peer, id);
  }
}
